"""The jobs process: runs every step's periodic jobs (sending the outbox, follow-up
reminders, ...) on their intervals.

``respira serve`` starts it beside the web workers (one jobs process, however many web
workers), and ``respira jobs run`` runs it alone, for a deployment that keeps web and
jobs apart; ``respira jobs once`` runs every job one time (cron, tests, the demo).
A job that raises is logged by name and tried again at its next turn; the others go on.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable

from respira.app import steps
from respira.kit.config import get_settings
from respira.kit.db import Database, utcnow
from respira.kit.step import Job

log = logging.getLogger("respira.jobs")


JobList = list[tuple[Job, Callable[[Database, dt.datetime], int]]]


def run_once(
    db: Database, now: dt.datetime | None = None, jobs: JobList | None = None
) -> dict[str, int]:
    """Run every job once (the steps' jobs unless ``jobs`` is given); answers job name →
    things done (-1 when it failed)."""
    done: dict[str, int] = {}
    for job, fn in steps.load().jobs() if jobs is None else jobs:
        done[job.name] = _run(job.name, fn, db, now or utcnow())
    return done


def _run(
    name: str, fn: Callable[[Database, dt.datetime], int], db: Database, now: dt.datetime
) -> int:
    try:
        return int(fn(db, now) or 0)
    except Exception:  # one failing job must not stop the others
        log.exception("job %s failed", name)
        return -1


def run_forever(
    db: Database, stop: threading.Event, tick_s: float = 1.0, jobs: JobList | None = None
) -> None:
    jobs = steps.load().jobs() if jobs is None else jobs
    next_at = {job.name: 0.0 for job, _fn in jobs}
    while not stop.is_set():
        for job, fn in jobs:
            if time.monotonic() >= next_at[job.name]:
                _run(job.name, fn, db, utcnow())
                next_at[job.name] = time.monotonic() + job.every_s
        stop.wait(tick_s)


def process_main() -> None:  # pragma: no cover - the serve command's child process
    """Entry point of the jobs process started by ``respira serve``."""
    import signal

    logging.basicConfig(level=get_settings().log_level.upper())
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    db = Database(get_settings().database_url)
    try:
        run_forever(db, stop)
    finally:
        db.dispose()
