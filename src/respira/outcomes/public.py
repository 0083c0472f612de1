"""The public transparency page, ``/outcomes``: the programme's live figures for anyone,
signed in or not, in English, German or Russian (the site's language switch and
``?lang=``): patients treated, follow-up completeness, the change in asthma control (ACT
and ACQ), responders by every definition with their intervals and worst case, the
exacerbation rate ratio, adverse events by grade, the design's limits in plain words,
the data's date, and a notice when demo records are among them. Small cells are
suppressed as on the staff report; there is no testimonial and no "success rate".

The figures face the public, so they are computed at most once every
``settings.outcomes_public_cache_s`` seconds per app (``ReportCache``): one request
recomputes a stale copy while the others keep serving the previous one, and only the
very first request of an app waits.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import Response

from respira.kit.config import get_settings
from respira.kit.web.deps import Public
from respira.kit.web.routes import Call, uses
from respira.kit.web.templating import request_lang
from respira.outcomes import registry, report, report_view

router = APIRouter(include_in_schema=False)

T = TypeVar("T")


class ReportCache(Generic[T]):
    """A value recomputed at most every ``ttl_s()`` seconds by the ``clock``.

    A stale value is recomputed by the first caller that takes the lock; callers that
    arrive meanwhile get the previous value without waiting. Only when there is no value
    yet do callers wait for the one computing it. A computation that fails leaves the
    previous value in place (and raises to its caller)."""

    def __init__(
        self, ttl_s: Callable[[], float], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl_s = ttl_s
        self._clock = clock
        self._lock = threading.Lock()
        self._value: T | None = None
        self._computed_at = 0.0
        self.computations = 0

    def _fresh(self) -> bool:
        return self._value is not None and self._clock() - self._computed_at < self._ttl_s()

    def get(self, compute: Callable[[], T]) -> T:
        if self._fresh():
            assert self._value is not None
            return self._value
        if not self._lock.acquire(blocking=self._value is None):
            assert self._value is not None  # someone is computing: serve the last copy
            return self._value
        try:
            if not self._fresh():  # not computed by the caller we waited for
                started = self._clock()
                self._value = compute()
                self._computed_at = started
                self.computations += 1
            assert self._value is not None
            return self._value
        finally:
            self._lock.release()


_CREATE = threading.Lock()


def cache_of(request: Request) -> ReportCache[dict[str, Any]]:
    """The app's cache of the public figures (made on first use)."""
    state = request.app.state
    with _CREATE:
        found: ReportCache[dict[str, Any]] | None = getattr(state, "outcomes_public", None)
        if found is None:
            found = ReportCache(lambda: get_settings().outcomes_public_cache_s)
            state.outcomes_public = found
    return found


@router.get("/outcomes")
def public_outcomes(call: Call = uses(Public())) -> Response:
    data = cache_of(call.request).get(
        lambda: report.outcome_report(call.session, registry.CohortFilter())
    )
    lang = request_lang(call.request)
    context = {
        "view": report_view.public_view(data, lang),
        "min_cell": data["min_cell"],
        "refresh_minutes": max(round(get_settings().outcomes_public_cache_s / 60), 1),
    }
    return call.render("outcomes/public.html", context)
