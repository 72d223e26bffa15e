"""The HTML shell every portal page shares, and the branding stylesheet, made from the
settings. The shell holds no data: the page's modules fetch it from the API."""

from __future__ import annotations

from html import escape

from callstats import __version__
from callstats.portal.assets import Assets
from callstats.settings import Settings

# Path (under `/`) of each view, its label in the navigation, in the navigation's order.
VIEWS: tuple[tuple[str, str], ...] = (
    ("", "Overview"),
    ("traffic", "Traffic"),
    ("quality", "Quality"),
    ("concurrent", "Concurrent calls"),
    ("live", "Live calls"),
    ("calls", "Calls"),
    ("summary", "Call summary"),
)
SIGN_IN = "sign-in"
PAGES = tuple(path for path, _ in VIEWS) + (SIGN_IN,)


def shell(settings: Settings, assets: Assets) -> bytes:
    title = escape(settings.portal_title)
    logo = (f'<img class="logo" src="{escape(settings.portal_logo_url)}" alt="" '
            'width="28" height="28">' if settings.portal_logo_url else "")
    preload = "\n".join(f'<link rel="modulepreload" href="/portal/{m}">'
                        for m in assets.modules() if m != "app.js")
    nav = "\n".join(f'<li><a href="/{path}" data-view="{path or "overview"}">{label}</a></li>'
                    for path, label in VIEWS)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="application-name" content="{title}">
<title>{title}</title>
<link rel="icon" href="/portal/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/portal/vendor/uplot/uPlot.min.css">
<link rel="stylesheet" href="/portal/portal.css">
<link rel="stylesheet" href="/portal/branding.css">
<script src="/portal/vendor/uplot/uPlot.iife.min.js" defer></script>
<script type="module" src="/portal/app.js"></script>
{preload}
</head>
<body>
<a class="skip-link" href="#main">Skip to content</a>
<header class="top">
<a class="brand" href="/">{logo}<span class="brand-name">{title}</span></a>
<nav class="views" aria-label="Views" hidden><ul>
{nav}
</ul></nav>
<div class="session" hidden><span class="who"></span>
<button type="button" class="sign-out">Sign out</button></div>
</header>
<main id="main" tabindex="-1"><p class="loading" role="status">Loading…</p></main>
<footer class="bottom">
<a href="/docs">API documentation</a>
<span>callstats {escape(__version__)}</span>
</footer>
</body>
</html>
""".encode()


def branding_css(settings: Settings) -> bytes:
    accent = settings.portal_accent
    return (f":root {{ --accent: {accent}; --on-accent: {on_colour(accent)}; }}\n").encode()


def on_colour(hex_colour: str) -> str:
    """Black or white, whichever reads better on `hex_colour` (WCAG relative luminance)."""
    digits = hex_colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    channels = [int(digits[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "#000000" if (luminance + 0.05) / 0.05 > 1.05 / (luminance + 0.05) else "#ffffff"
