"""Every page works at 390 px (issue 14): in real Chromium with a 390 px wide viewport,
no page scrolls sideways (``document.documentElement.scrollWidth <= 390``).

The demo clinic is seeded; each role signs in and visits its home page, every page its
navigation links to and the first item each of those lists, and (for the staff who see
patients, and the patient) a patient's page and every page that page links to; a
visitor sees the public pages. A page that is
wider says which element sticks out, so that the fix is obvious.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from respira.app import demo

pytestmark = pytest.mark.browser

WIDTH = 390
PUBLIC_PAGES = (
    "/",
    "/consultation",
    "/consultation/thanks?kind=consultation&ref=1",
    "/model",
    "/outcomes",
    "/login",
    "/no-such-page",
)
# Links that are not pages to look at: downloads, machine interfaces, signing out.
NOT_PAGES = ("/api/", "/fhir", "/static/", "/logout", "/language", "/favicon")
NOT_PAGE_ENDINGS = (".pdf", ".csv", ".json", ".xml", ".zip", ".ics", ".svg")

# Which element sticks out furthest beyond the viewport, named by tag, id and class.
WIDEST = """() => {
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.right <= innerWidth + 0.5) continue;
    const pos = getComputedStyle(el).position;
    let clipped = false;
    if (pos !== 'absolute' && pos !== 'fixed') {
      for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
        if (getComputedStyle(p).overflowX !== 'visible') { clipped = true; break; }
      }
    }
    const wider = [...el.children].some(c => c.getBoundingClientRect().right > innerWidth);
    if (clipped || wider) continue;
    const cls = typeof el.className === 'string' && el.className.trim()
      ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
    const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + cls;
    out.push(`${name} to ${Math.round(r.right)} px: ${(el.textContent || '').trim().slice(0, 40)}`);
    if (out.length === 3) break;
  }
  return out.join(' | ');
}"""


@pytest.fixture
def demo_clinic(db: Any) -> demo.DemoResult:
    result = demo.seed(db)
    assert result is not None
    return result


def _is_page(base: str, href: str | None) -> bool:
    if not href or href.startswith(("#", "mailto:", "tel:", "javascript:")):
        return False
    parts = urlsplit(href)
    if parts.netloc and f"{parts.scheme}://{parts.netloc}" != base:
        return False
    path = parts.path
    return not path.startswith(NOT_PAGES) and not path.endswith(NOT_PAGE_ENDINGS)


def _path(base: str, href: str) -> str:
    parts = urlsplit(href if "://" in href else base + href)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _links(page: Any, base: str, selector: str) -> list[str]:
    hrefs = page.eval_on_selector_all(selector, "els => els.map(e => e.getAttribute('href'))")
    return [_path(base, h) for h in hrefs if _is_page(base, h)]


class Walk:
    """The pages one browser context visits, each once, with what was too wide."""

    def __init__(self, page: Any, base: str) -> None:
        self.page, self.base = page, base
        self.seen: set[str] = set()
        self.too_wide: list[str] = []
        self.broken: list[str] = []

    def visit(self, path: str) -> bool:
        if path in self.seen:
            return False
        self.seen.add(path)
        response = self.page.goto(self.base + path)
        if response is None or "text/html" not in (response.headers.get("content-type") or ""):
            return False
        if response.status >= 500:
            self.broken.append(f"{path}: {response.status}")
        width = self.page.evaluate("document.documentElement.scrollWidth")
        if width > WIDTH:
            self.too_wide.append(f"{path}: {width} px wide; {self.page.evaluate(WIDEST)}")
        return True

    def visit_all(self, paths: list[str]) -> None:
        for path in paths:
            self.visit(path)


@pytest.fixture
def narrow(chromium: Any) -> Iterator[Any]:
    contexts: list[Any] = []

    def make() -> Any:
        ctx = chromium.new_context(
            viewport={"width": WIDTH, "height": 844}, locale="en-GB", device_scale_factor=1
        )
        contexts.append(ctx)
        page = ctx.new_page()
        page.set_default_timeout(15_000)
        return page

    yield make
    for ctx in contexts:
        ctx.close()


def _sign_in(page: Any, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("form.narrow button[type=submit]")
    page.wait_for_load_state()
    assert "/login" not in page.url, f"{email} could not sign in"


def test_no_page_scrolls_sideways_at_390_px(live_server, narrow, demo_clinic):
    problems: list[str] = []
    visited = 0

    visitor = Walk(narrow(), live_server)
    visitor.visit_all(list(PUBLIC_PAGES))
    problems += visitor.too_wide + visitor.broken
    visited += len(visitor.seen)

    for role, email, password in demo_clinic.accounts:
        walk = Walk(narrow(), live_server)
        _sign_in(walk.page, live_server, email, password)
        walk.visit("/")
        nav = _links(walk.page, live_server, "header.site nav a")
        assert nav or role == "patient", f"{role} has no navigation"
        for path in nav:  # each list, and the first item it lists (a detail page)
            if walk.visit(path):
                walk.visit_all(_links(walk.page, live_server, "main table a")[:1])
        patient = "/me" if role == "patient" else None
        if patient is None and walk.visit("/patients"):
            found = _links(walk.page, live_server, "main a[href^='/patients/']")
            patient = next((p for p in found if p.rstrip("/").split("/")[-1].isdigit()), None)
        if patient is not None:
            walk.visit(patient)
            walk.visit_all(_links(walk.page, live_server, "main a"))
        problems += [f"{role}: {p}" for p in walk.too_wide + walk.broken]
        visited += len(walk.seen)

    assert visited > 60, f"only {visited} pages visited"
    assert not problems, f"{len(problems)} of {visited} pages are wider than 390 px:\n" + "\n".join(
        problems
    )
