"""What the tests of a step's pages in German and Russian share: a page read in a
language, with the texts it must show in that language, and the clinic's time zone set
for one test (times written in it, with the zone named)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from respira.kit.config import get_settings


def page_in(client: Any, url: str, lang: str, texts: Iterable[str]) -> Any:
    """The page at ``url`` asked for in ``lang`` (the ``lang`` query parameter): it
    answers 200 in that language and shows every one of ``texts``."""
    page = client.get(f"{url}{'&' if '?' in url else '?'}lang={lang}")
    assert page.status_code == 200 and page.headers["content-language"] == lang
    missing = [text for text in texts if text not in page.text]
    assert not missing, f"{url} in {lang} lacks {missing}"
    return page


def in_clinic_zone(request: Any, zone: str) -> None:
    """The clinic's time zone (``RESPIRA_CLINIC_TIMEZONE``) is ``zone`` for the rest of the
    test ``request`` runs; the setting and the cached settings are restored after it."""
    before = os.environ.get("RESPIRA_CLINIC_TIMEZONE")
    os.environ["RESPIRA_CLINIC_TIMEZONE"] = zone
    get_settings.cache_clear()

    def restore() -> None:
        if before is None:
            os.environ.pop("RESPIRA_CLINIC_TIMEZONE", None)
        else:
            os.environ["RESPIRA_CLINIC_TIMEZONE"] = before
        get_settings.cache_clear()

    request.addfinalizer(restore)
