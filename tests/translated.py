"""What the tests of a step's pages in German and Russian share: a page read in a
language, with the texts it must show in that language."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def page_in(client: Any, url: str, lang: str, texts: Iterable[str]) -> Any:
    """The page at ``url`` asked for in ``lang`` (the ``lang`` query parameter): it
    answers 200 in that language and shows every one of ``texts``."""
    page = client.get(f"{url}{'&' if '?' in url else '?'}lang={lang}")
    assert page.status_code == 200 and page.headers["content-language"] == lang
    missing = [text for text in texts if text not in page.text]
    assert not missing, f"{url} in {lang} lacks {missing}"
    return page
