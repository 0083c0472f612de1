"""The house's after-care additions: events between steps run in the emitter's
transaction, the jobs process runs every step's jobs and survives one that fails, banners
reach signed-in users only, and a step's own translation catalogue is merged with the
kit's."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from sqlalchemy import text

from respira.app import jobs, steps
from respira.kit import events, i18n
from respira.kit.actors import Actor
from respira.kit.db import Database
from respira.kit.step import Job, Step
from respira.kit.web import templating


@pytest.fixture
def clean_events():
    saved = {name: list(fns) for name, fns in events._LISTENERS.items()}
    yield
    events.install(saved)


def test_an_event_calls_every_listener_with_the_session_actor_and_payload(clean_events):
    seen: list[tuple[Any, ...]] = []
    events.install(
        {
            "test.happened": [
                lambda session, actor, **kw: seen.append(("first", session, actor.name, kw)),
                lambda session, actor, **kw: seen.append(("second", session, actor.name, kw)),
            ]
        }
    )
    actor = Actor.system("tester")
    events.emit("S", actor, "test.happened", patient_id=7)
    assert seen == [
        ("first", "S", "tester", {"patient_id": 7}),
        ("second", "S", "tester", {"patient_id": 7}),
    ]
    events.emit("S", actor, "nobody.listens", x=1)  # no listener: nothing happens


def test_a_failing_listener_refuses_the_emitters_whole_change(
    db: Database, make_patient, clean_events
):
    pid = make_patient(first_name="Anna")

    def listener(session, actor, **kw):
        session.execute(text("UPDATE patients SET last_name = 'Listener' WHERE id = :id"), kw)
        raise RuntimeError("the listener refuses")

    events.install({"test.happened": [listener]})
    with pytest.raises(RuntimeError), db.transaction() as session:
        session.execute(
            text("UPDATE patients SET first_name = 'Emitter' WHERE id = :id"), {"id": pid}
        )
        events.emit(session, Actor.system(), "test.happened", id=pid)
    with db.transaction() as session:
        row = session.execute(
            text("SELECT first_name, last_name FROM patients WHERE id = :id"), {"id": pid}
        ).one()
    assert row.first_name == "Anna" and row.last_name != "Listener"


def test_the_app_installs_the_listeners_the_manifests_declare():
    loaded = steps.load()
    declared = {name for step in loaded.steps for name in step.listens}
    for name in declared:
        assert events.listeners(name), name


def test_run_once_runs_every_job_and_reports_a_failing_one(db: Database):
    calls: list[str] = []

    def ok(database, now):
        calls.append("ok")
        return 3

    def broken(database, now):
        calls.append("broken")
        raise RuntimeError("smtp exploded")

    fake = [(Job("t.ok", "x:ok"), ok), (Job("t.broken", "x:broken"), broken)]
    done = jobs.run_once(db, dt.datetime(2026, 12, 6, tzinfo=dt.UTC), jobs=fake)
    assert done == {"t.ok": 3, "t.broken": -1}
    assert calls == ["ok", "broken"]


def test_run_forever_repeats_jobs_on_their_interval_until_stopped(db: Database):
    stop = threading.Event()
    calls: list[float] = []

    def tick(database, now):
        calls.append(1)
        if len(calls) >= 3:
            stop.set()
        return 1

    fake = [(Job("t.tick", "x:tick", every_s=0.01), tick)]
    runner = threading.Thread(target=jobs.run_forever, args=(db, stop, 0.01, fake))
    runner.start()
    runner.join(timeout=10)
    assert not runner.is_alive()
    assert len(calls) >= 3


def test_every_declared_job_resolves_to_a_function():
    for job, fn in steps.load().jobs():
        assert callable(fn), job.name
        assert job.every_s > 0


def test_banners_are_asked_for_signed_in_users_only():
    asked: list[str] = []

    def provider(db, actor):
        asked.append(actor.name)
        return [templating.Banner("Serious event waiting", "/safety")]

    class Req:
        class app:
            class state:
                db = None

    saved = list(templating._BANNERS)
    try:
        templating._BANNERS[:] = [provider]
        assert templating.banners_for(Req(), None) == []  # type: ignore[arg-type]
        assert templating.banners_for(Req(), Actor.public()) == []  # type: ignore[arg-type]
        signed_in = Actor(user_id=1, role="physician", name="Dr A")
        assert templating.banners_for(Req(), signed_in) == [  # type: ignore[arg-type]
            templating.Banner("Serious event waiting", "/safety")
        ]
        assert asked == ["Dr A"]
    finally:
        templating._BANNERS[:] = saved


def test_a_steps_own_catalogue_is_merged_with_the_kits(tmp_path, monkeypatch):
    step_dir = tmp_path / "somestep" / "locale" / "de" / "LC_MESSAGES"
    step_dir.mkdir(parents=True)
    (step_dir / "messages.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Check-in"\nmsgstr "Nachuntersuchung"\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(i18n, "STEPS_DIR", tmp_path)
    i18n.translations.cache_clear()
    try:
        merged = i18n.read_catalogue("de")
        assert merged.get("Check-in").string == "Nachuntersuchung"
        assert merged.get("Skip to content") is not None  # the kit's own entries stay
        assert i18n.translations("de").gettext("Check-in") == "Nachuntersuchung"
    finally:
        i18n.translations.cache_clear()


def test_a_step_without_listens_jobs_or_banners_declares_empty_defaults():
    step = Step(name="x", package="respira.batch")
    assert step.listens == {} and step.jobs == () and step.banners == ()
