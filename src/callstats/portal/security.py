"""The headers every portal response carries (pages, assets, `/docs`, errors): a strict
Content-Security-Policy (scripts and styles only from this origin, never inline, no
remote origin anywhere except an operator's logo) and the usual hardening headers."""

from __future__ import annotations

from urllib.parse import urlsplit

from callstats.settings import Settings


def content_security_policy(settings: Settings) -> str:
    images = ["'self'", "data:"]
    logo = urlsplit(settings.portal_logo_url)
    if logo.scheme in ("http", "https") and logo.netloc:
        images.append(f"{logo.scheme}://{logo.netloc}")
    return "; ".join([
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        f"img-src {' '.join(images)}",
        "connect-src 'self'",
        "font-src 'self'",
        "manifest-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ])


def portal_headers(settings: Settings) -> dict[str, str]:
    return {
        "content-security-policy": content_security_policy(settings),
        "x-content-type-options": "nosniff",
        "x-frame-options": "DENY",
        "referrer-policy": "same-origin",
        "cross-origin-opener-policy": "same-origin",
        "cross-origin-resource-policy": "same-origin",
        "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
    }
