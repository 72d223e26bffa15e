"""How the process serves the portal, over HTTP without a browser: pages and files from
the package, the security headers on every portal response, gzip and ETags, the offline
/docs page, branding from the settings, and the session cookie's flags."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from callstats.http.app import create_app
from callstats.http.services import Services
from callstats.portal.assets import STATIC, Assets
from callstats.portal.pages import PAGES, on_colour
from callstats.settings import Settings
from tests.support.portal import PASSWORD, V1, PortalServer

STATIC_DIR = Path(str(STATIC))
VENDORED = {  # sha256 of each vendored file as the npm package ships it
    "vendor/uplot/uPlot.iife.min.js":
        "19c8d4c6ad88929a79f4ae49d6f7161566dfd0ba3d15cc495e974f787eb78f1f",
    "vendor/uplot/uPlot.min.css":
        "df630c6a8d6f8eeaff264b50f73ce5b114f646ffd9a0bb74f049b0a00135fa04",
    "vendor/uplot/LICENSE":
        "8f989229699b4fe2f1a0432d0e9edc338a8a911e250e2d1b01ecd770a5f5b1bd",
    "vendor/swagger-ui/swagger-ui-bundle.js":
        "e6a898692f2d768e807c3ba4626068a69a2c5dd960dd6c76f3e4d3a3de180af2",
    "vendor/swagger-ui/swagger-ui.css":
        "5ed08757e53da3e026d6cbecc61fe5d43585c9560b302d534ad56692519a273d",
    "vendor/swagger-ui/LICENSE":
        "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30",
    "vendor/swagger-ui/NOTICE":
        "0d20d1adef18aee3f40dd258172155521ce702ac445cb5f7b7d60ed32dad2fb2",
}


def csp_directives(header: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in header.split("; ")}


@pytest.mark.parametrize("path", ["/" + p for p in PAGES] + ["/docs", "/portal/app.js",
                                                                 "/portal/portal.css",
                                                                 "/portal/nope.js"])
def test_every_portal_response_has_a_strict_csp(portal: PortalServer, path: str) -> None:
    response = httpx.get(portal.url + path)
    assert response.status_code == (404 if path.endswith("nope.js") else 200)
    policy = csp_directives(response.headers["content-security-policy"])
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'self'"]  # no inline script, no eval, no other origin
    assert policy["style-src"] == ["'self'"]
    assert policy["connect-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert not any("http" in source or source == "*" for sources in policy.values()
                   for source in sources)
    assert response.headers["x-content-type-options"] == "nosniff"


def test_the_shell_has_no_inline_script_or_style(portal: PortalServer) -> None:
    html = httpx.get(portal.url + "/").text
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag, tag
    assert not re.search(r"<script\b[^>]*>[^<]+</script>", html)
    assert "<style" not in html and " style=" not in html and " on" + "click=" not in html


def test_no_file_of_the_portal_names_another_origin() -> None:
    """Nothing the portal ships loads from a CDN (the vendored bundles excepted: they hold
    URLs in licence comments and docs links, never fetched; /docs is checked in a browser)."""
    for path in STATIC_DIR.rglob("*"):
        own = path.is_file() and "vendor" not in path.parts
        if own and path.suffix in (".js", ".css", ".html"):
            assert not re.search(r"https?://", path.read_text()), path


@pytest.mark.parametrize("name", sorted(VENDORED))
def test_vendored_files_are_the_npm_packages_files(name: str) -> None:
    assert hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest() == VENDORED[name]


def test_assets_are_gzipped_and_revalidated_by_etag(portal: PortalServer) -> None:
    url = portal.url + "/portal/vendor/uplot/uPlot.iife.min.js"
    plain = httpx.get(url, headers={"Accept-Encoding": "identity"})
    zipped = httpx.get(url, headers={"Accept-Encoding": "gzip"})
    assert plain.headers["content-type"] == "text/javascript; charset=utf-8"
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.content == plain.content  # httpx decoded it
    assert int(zipped.headers["content-length"]) < len(plain.content) / 2
    assert plain.headers["cache-control"] == "no-cache"
    again = httpx.get(url, headers={"If-None-Match": plain.headers["etag"]})
    assert (again.status_code, again.content) == (304, b"")
    assert again.headers["etag"] == plain.headers["etag"]


@pytest.mark.parametrize("path", ["/portal/../settings.py", "/portal/.hidden",
                                  "/portal/vendor/", "/portal/views//traffic.js"])
def test_nothing_outside_the_static_files_is_served(portal: PortalServer, path: str) -> None:
    assert httpx.get(portal.url + path).status_code == 404


def test_docs_are_served_from_the_package(portal: PortalServer) -> None:
    html = httpx.get(portal.url + "/docs").text
    scripts = re.findall(r'src="([^"]+)"', html)
    assert scripts == ["/portal/vendor/swagger-ui/swagger-ui-bundle.js", "/portal/docs.js"]
    for src in scripts:
        assert httpx.get(portal.url + src).status_code == 200
    assert httpx.get(portal.url + "/openapi.json").json()["info"]["title"] == "callstats"


def test_modules_are_preloaded_from_the_shell(portal: PortalServer) -> None:
    html = httpx.get(portal.url + "/").text
    preloaded = re.findall(r'rel="modulepreload" href="/portal/([^"]+)"', html)
    assert set(preloaded) == set(Assets().modules()) - {"app.js"}
    assert "views/traffic.js" in preloaded and not any("vendor" in p for p in preloaded)


def test_branding_comes_from_the_settings(tmp_path: Path) -> None:
    services = Services.open(Settings(
        data_dir=tmp_path, jwt_secret="s" * 40, portal_title="Acme <Voice> & Data",
        portal_logo_url="https://cdn.acme.example/logo.svg", portal_accent="#ffcc00"))
    # TestClient runs the app's loop in a thread of its own: this package's Playwright
    # holds the main thread's
    with TestClient(create_app(services=services)) as client:
        page = client.get("/traffic")
        css = client.get("/portal/branding.css")
    services.close()
    assert "<title>Acme &lt;Voice&gt; &amp; Data</title>" in page.text
    assert '<img class="logo" src="https://cdn.acme.example/logo.svg"' in page.text
    # the logo's origin, and only it, is allowed for images
    policy = csp_directives(page.headers["content-security-policy"])
    assert policy["img-src"] == ["'self'", "data:", "https://cdn.acme.example"]
    assert policy["script-src"] == ["'self'"]
    assert css.text == ":root { --accent: #ffcc00; --on-accent: #000000; }\n"
    assert css.headers["content-security-policy"] == page.headers["content-security-policy"]


@pytest.mark.parametrize(("setting", "value"), [
    ("portal_accent", "red"), ("portal_accent", "#12345"), ("portal_accent", "#1234567;x"),
    ("portal_logo_url", "javascript:alert(1)"), ("portal_logo_url", "//cdn.example/x.png"),
    ("portal_logo_url", "logo.png"), ("portal_title", ""),
])
def test_bad_branding_settings_are_refused(tmp_path: Path, setting: str, value: str) -> None:
    with pytest.raises(ValueError):
        Settings(data_dir=tmp_path, **{setting: value})  # type: ignore[arg-type]


def test_accent_text_colour_reads_on_the_accent() -> None:
    assert on_colour("#ffffff") == "#000000"
    assert on_colour("#1f6feb") == "#ffffff"
    assert on_colour("#fc0") == "#000000"
    assert on_colour("#000") == "#ffffff"


@pytest.mark.parametrize("secure", [False, True])
def test_session_cookie_flags(tmp_path: Path, secure: bool) -> None:
    services = Services.open(Settings(data_dir=tmp_path, jwt_secret="s" * 40,
                                      cookie_secure=secure))
    services.metadata.create_customer("Acme", 1)
    services.metadata.create_api_access(1, "acme", PASSWORD)
    with TestClient(create_app(services=services)) as client:
        login = client.post(V1 + "/auth", json={"auth": {
            "login": "acme", "password": PASSWORD, "cookie_auth": True}})
        session = login.headers["set-cookie"].split(";")[0]
        client.cookies.clear()
        refreshed = client.get(V1 + "/auth", headers={"Cookie": session})
        client.cookies.clear()
        logout = client.delete(V1 + "/auth")
    services.close()
    for response in (login, refreshed, logout):
        flags = response.headers["set-cookie"].split("; ")[1:]
        assert "HttpOnly" in flags and "SameSite=Lax" in flags
        assert ("Secure" in flags) is secure
