"""``/api/v1/docs``: Swagger UI over the app's own OpenAPI document, every asset served by
Respira (no other host: the clinic's machine may be offline), the start-up script a file
of its own (the Content-Security-Policy forbids inline scripts). In a real browser the
page shows the operations and breaks no rule of the policy."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from respira.kit.web.api_docs import ASSET_FILES


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0
        self.inline_styles = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        for name in ("src", "href"):
            if found.get(name):
                self.urls.append(str(found[name]))
        if tag == "script" and not found.get("src"):
            self.inline_scripts += 1
        if tag == "style" or "style" in found:
            self.inline_styles += 1


def _page_links(html: str) -> _Links:
    parser = _Links()
    parser.feed(html)
    return parser


def test_the_docs_page_is_public_and_uses_only_respiras_own_assets(client):
    r = client.get("/api/v1/docs")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in r.headers["content-security-policy"]
    links = _page_links(r.text)
    assert links.inline_scripts == 0 and links.inline_styles == 0
    assert 'data-openapi-url="/api/v1/openapi.json"' in r.text
    scripts = [u for u in links.urls if u.endswith(".js")]
    assert scripts == ["/api/v1/docs/assets/swagger-ui-bundle.js", "/static/api-docs.js"]
    for url in links.urls:
        if url == "/api/v1/openapi.json":
            continue
        assert url.startswith("/") and not url.startswith("//"), url
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 100, url
    stylesheet = client.get("/api/v1/docs/assets/swagger-ui.css").text
    # The stylesheet loads nothing: no @import, no url() but inline data.
    assert "@import" not in stylesheet
    urls = re.findall(r"url\(([^)]*)", stylesheet)
    assert urls and all(u.strip("\"'").startswith("data:") for u in urls)
    init = client.get("/static/api-docs.js").text
    assert "SwaggerUIBundle(" in init and "validatorUrl: null" in init
    assert "http" not in init


def test_only_the_files_the_page_uses_are_served(client):
    for name in ASSET_FILES:
        assert client.get(f"/api/v1/docs/assets/{name}").status_code == 200
    # The package's sample page and start-up script point at a demo API elsewhere.
    for name in ("index.html", "swagger-initializer.js", "oauth2-redirect.html", "../__init__.py"):
        assert client.get(f"/api/v1/docs/assets/{name}").status_code == 404, name


@pytest.mark.browser
def test_the_docs_page_shows_the_operations_in_a_browser_within_the_policy(live_server, page):
    violations: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if m.type == "error" else None)
    page.on("request", lambda req: requests.append(req.url))
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/api/v1/docs")
    page.wait_for_selector(".opblock", timeout=30_000)
    assert page.locator(".opblock").count() > 100
    assert page.get_by_text("/api/v1/patients/{patient_id}").first.is_visible()
    assert page.locator(".btn.authorize").count() == 1  # the bearer scheme
    page.locator(".opblock-summary").first.click()
    page.wait_for_selector(".opblock-body")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert not violations, violations
    assert all(url.startswith(live_server) for url in requests), requests
