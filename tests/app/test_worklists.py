"""The home page is a worklist per role (issue 14): what each role finds waiting, with
the right counts, the overdue consultation requests first at the working-day cut-off,
and every item linking to where the work is done; all of it read in one transaction."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from respira.accounts import worklist as accounts_worklist
from respira.accounts.models import User
from respira.app.system import worklist
from respira.audit_trail import worklist as audit_worklist
from respira.diagnostics import service as diagnostics_service
from respira.diagnostics import worklist as diagnostics_worklist
from respira.diagnostics.schemas import (
    HistoryIn,
    MarkersIn,
    QuestionnaireIn,
    RetractionIn,
    SpirometryIn,
    VisitIn,
)
from respira.intake import service as intake_service
from respira.intake import worklist as intake_worklist
from respira.intake.schemas import ConsultationRequestPatch
from respira.kit import audit
from respira.kit.actors import Actor
from respira.kit.clinic_time import clinic_today, working_days_after
from respira.kit.config import get_settings
from respira.kit.db import Database, utcnow
from respira.kit.step import WorkItem
from respira.kit.validation import today_utc
from tests.intake.helpers import make_request
from tests.screening.screening_helpers import good_findings_values
from tests.screening.test_screening_api import APPROVE, HISTORY, MARKERS, SPIRO, evaluate, sign
from tests.treatment.treatment_helpers import Clinic

SYSTEM = Actor.system("test")
ACT = {"instrument": "act", "answers": [2, 3, 3, 2, 3]}


def items_of(db: Database, actor: Actor, providers: Any = None) -> dict[str, WorkItem]:
    with db.session() as session:
        return {item.label: item for item in worklist(session, actor, providers)}


def visit_with(db: Database, pid: int, parts: tuple[str, ...], days_ago: int = 3) -> dict[str, int]:
    """A visit of the patient with the named parts of a work-up; the ids by part."""
    with db.transaction() as session:
        visit = diagnostics_service.create_visit(
            session, SYSTEM, pid, VisitIn(visit_date=today_utc() - dt.timedelta(days=days_ago))
        )
    ids = {"visit": visit.id}
    recorders: dict[str, Callable[[Any], Any]] = {
        "spirometry": lambda s: diagnostics_service.record_spirometry(
            s, SYSTEM, visit.id, SpirometryIn.model_validate(SPIRO)
        ),
        "markers": lambda s: diagnostics_service.record_markers(
            s, SYSTEM, visit.id, MarkersIn.model_validate(MARKERS)
        ),
        "questionnaires": lambda s: diagnostics_service.record_questionnaire(
            s, SYSTEM, visit.id, QuestionnaireIn.model_validate(ACT)
        ),
        "history": lambda s: diagnostics_service.record_history(
            s, SYSTEM, visit.id, HistoryIn.model_validate(HISTORY)
        ),
    }
    for part in parts:
        with db.transaction() as session:
            ids[part] = recorders[part](session).id
    return ids


ALL_PARTS = ("spirometry", "markers", "questionnaires", "history")


def hrefs(html: str) -> set[str]:
    return set(re.findall(r'href="([^"]+)"', html))


# --- physicians -------------------------------------------------------------------------


def test_physician_sees_screenings_waiting_and_signed_ones_whose_evidence_changed(
    db, api_as, page_as, make_patient
):
    doc = api_as("physician")
    ready = make_patient(first_name="Ready", last_name="Signer", height_cm=168.0)
    ids = visit_with(db, ready, ALL_PARTS)
    r = doc.post(
        f"/api/v1/patients/{ready}/screening-findings", json=good_findings_values(today_utc())
    )
    assert r.status_code == 201, r.text
    eligible = evaluate(doc, ready)
    assert eligible["decision"] == "eligible", eligible["reasons"]
    open_one = make_patient(first_name="Open", last_name="Question", email="oq@mail.example")
    review = evaluate(doc, open_one)
    assert review["decision"] == "needs_review"

    found = items_of(db, doc.account.actor)
    waiting_review = found["Screenings waiting for review"]
    waiting_signature = found["Screenings waiting for the signature"]
    assert (waiting_review.count, waiting_signature.count) == (1, 1)
    assert [r.href for r in waiting_review.rows] == [f"/screenings/{review['id']}"]
    assert [r.href for r in waiting_signature.rows] == [f"/screenings/{eligible['id']}"]
    assert waiting_signature.rows[0].text.startswith("Signer, Ready (RSP-")
    assert found["Signed screenings whose evidence changed"].count == 0

    # A screening superseded by a newer one no longer waits: only the newest counts.
    again = evaluate(doc, open_one)
    found = items_of(db, doc.account.actor)
    assert [r.href for r in found["Screenings waiting for review"].rows] == [
        f"/screenings/{again['id']}"
    ]

    assert sign(doc, eligible["id"], APPROVE).status_code == 200
    colleague = api_as("physician")
    r = colleague.post(
        f"/api/v1/visits/{ids['visit']}/questionnaires/{ids['questionnaires']}/retract",
        json={"reason": "entered on the wrong patient"},
    )
    assert r.status_code == 200, r.text

    found = items_of(db, doc.account.actor)
    assert found["Screenings waiting for the signature"].count == 0
    changed = found["Signed screenings whose evidence changed"]
    assert changed.count == 1 and changed.urgency == "overdue"
    assert [r.href for r in changed.rows] == [f"/screenings/{eligible['id']}"]
    # The most urgent item heads the worklist.
    assert next(iter(found)) == "Signed screenings whose evidence changed"

    html = page_as("physician").get("/").text
    assert "Signed screenings whose evidence changed" in html
    assert f'href="/screenings/{eligible["id"]}"' in html
    assert f'href="/screenings/{again["id"]}"' in html


def test_an_unsigned_screening_whose_evidence_changed_says_screen_again(db, api_as, make_patient):
    doc = api_as("physician")
    pid = make_patient(height_cm=168.0)
    ids = visit_with(db, pid, ALL_PARTS)
    doc.post(f"/api/v1/patients/{pid}/screening-findings", json=good_findings_values(today_utc()))
    out = evaluate(doc, pid)
    with db.transaction() as session:
        diagnostics_service.retract_record(
            session, SYSTEM, ids["visit"], "markers", ids["markers"], RetractionIn(reason="wrong")
        )
    [row] = items_of(db, doc.account.actor)["Screenings waiting for the signature"].rows
    assert row.href == f"/screenings/{out['id']}"
    assert row.urgency == "attention" and "screen again" in row.note


def test_visits_with_unfinished_work_are_the_newest_standing_visits_missing_a_part(
    db, make_account, make_patient
):
    physician = make_account("physician").actor
    complete = make_patient(first_name="Complete", email="c@mail.example")
    visit_with(db, complete, ALL_PARTS)
    partial = make_patient(first_name="Partial", email="p@mail.example")
    partial_visit = visit_with(db, partial, ("spirometry", "history"))
    # An older complete visit does not hide a newer unfinished one, and an older
    # unfinished one is not listed when a newer visit stands.
    later = make_patient(first_name="Later", email="l@mail.example")
    visit_with(db, later, ("spirometry",), days_ago=30)
    visit_with(db, later, ALL_PARTS, days_ago=2)
    retracted = make_patient(first_name="Retracted", email="r@mail.example")
    older = visit_with(db, retracted, ALL_PARTS, days_ago=20)
    newer = visit_with(db, retracted, ("markers",), days_ago=1)

    item = items_of(db, physician)["Visits with unfinished work"]
    assert item.count == 2
    assert [r.href for r in item.rows] == [
        f"/visits/{partial_visit['visit']}",
        f"/visits/{newer['visit']}",
    ]
    assert item.rows[0].params["parts"] == ("asthma-control questionnaire", "inflammation markers")

    # A part retracted as entered in error is missing again; a retracted visit gives way
    # to the patient's visit before it.
    with db.transaction() as session:
        diagnostics_service.retract_visit(session, SYSTEM, newer["visit"], RetractionIn(reason="x"))
    with db.transaction() as session:
        diagnostics_service.retract_record(
            session, SYSTEM, older["visit"], "history", older["history"], RetractionIn(reason="x")
        )
    item = items_of(db, physician)["Visits with unfinished work"]
    assert [r.href for r in item.rows] == [
        f"/visits/{older['visit']}",
        f"/visits/{partial_visit['visit']}",
    ]
    assert item.rows[0].params["parts"] == ("treatment history",)
    # Only physicians have this item.
    assert "Visits with unfinished work" not in items_of(db, make_account("admin").actor)


# --- coordinators -----------------------------------------------------------------------


@pytest.fixture
def berlin(monkeypatch):
    monkeypatch.setenv("RESPIRA_CLINIC_TIMEZONE", "Europe/Berlin")
    get_settings.cache_clear()
    yield ZoneInfo("Europe/Berlin")
    get_settings.cache_clear()


def local(zone: ZoneInfo, *args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=zone).astimezone(dt.UTC)


def test_the_service_level_counts_working_days_in_the_clinics_time_zone(berlin):
    # Thursday 10:00 in Berlin: two working days later is Monday 10:00.
    assert working_days_after(local(berlin, 2026, 12, 3, 10, 0), 2) == local(
        berlin, 2026, 12, 7, 10, 0
    )
    # Saturday afternoon counts from Monday 00:00: due on Wednesday at midnight.
    assert working_days_after(local(berlin, 2026, 12, 5, 15, 0), 2) == local(
        berlin, 2026, 12, 9, 0, 0
    )
    # 23:30 UTC on a Friday is already Saturday in Berlin.
    friday_night_utc = dt.datetime(2026, 12, 4, 23, 30, tzinfo=dt.UTC)
    assert working_days_after(friday_night_utc, 1) == local(berlin, 2026, 12, 8, 0, 0)


def test_coordinator_sees_overdue_requests_first_at_the_working_day_cut_off(
    db, make_account, berlin
):
    coordinator = make_account("coordinator").actor
    thursday = make_request(db, name="Thursday Morning", created_at=local(berlin, 2026, 12, 3, 10))
    older = make_request(
        db, name="Wednesday Noon", email="w@mail.example", phone=None,
        created_at=local(berlin, 2026, 12, 2, 12),
    )  # fmt: skip
    saturday = make_request(
        db, name="Saturday Visitor", email="s@mail.example", phone=None,
        created_at=local(berlin, 2026, 12, 5, 15),
    )  # fmt: skip

    def at(*when: int) -> list[WorkItem]:
        with db.session() as session:
            return intake_worklist.items(session, coordinator, now=local(berlin, *when))

    # Monday 09:59:59: Wednesday's request (due Friday noon) is overdue, Thursday's not.
    overdue, waiting, _, _ = at(2026, 12, 7, 9, 59, 59)
    assert overdue.count == 1 and overdue.urgency == "overdue"
    assert [r.href for r in overdue.rows] == [f"/consultation-requests/{older}"]
    assert [r.href for r in waiting.rows] == [
        f"/consultation-requests/{thursday}",
        f"/consultation-requests/{saturday}",
    ]
    # Monday 10:00: Thursday's is due now, so overdue; the oldest stays first.
    overdue, waiting, _, _ = at(2026, 12, 7, 10, 0, 0)
    assert [r.href for r in overdue.rows] == [
        f"/consultation-requests/{older}",
        f"/consultation-requests/{thursday}",
    ]
    assert [r.urgency for r in overdue.rows] == ["overdue", "overdue"]
    # Saturday's counts from Monday: overdue only from Wednesday 00:00.
    assert at(2026, 12, 8, 23, 59, 59)[0].count == 2
    overdue, waiting, _, _ = at(2026, 12, 9, 0, 0, 0)
    assert overdue.count == 3 and waiting.count == 0
    assert overdue.params == {"days": 2}


def test_the_service_level_is_a_setting(db, make_account, berlin, monkeypatch):
    coordinator = make_account("coordinator").actor
    make_request(db, created_at=local(berlin, 2026, 12, 3, 10))
    monkeypatch.setenv("RESPIRA_INTAKE_SERVICE_LEVEL_WORKING_DAYS", "1")
    get_settings.cache_clear()
    with db.session() as session:
        overdue, *_ = intake_worklist.items(
            session, coordinator, now=local(berlin, 2026, 12, 4, 10, 0)
        )
    assert overdue.count == 1 and overdue.params == {"days": 1}


def test_coordinator_sees_requests_in_progress_and_possible_duplicates(
    db, make_account, make_patient, page_as
):
    coordinator = page_as("coordinator")
    a = make_request(db, name="Anna One", email="anna@mail.example", phone="+49 30 5550001")
    b = make_request(db, name="Anna Two", email="other@mail.example", phone="+49 30 5550001")
    make_request(db, name="Unique Person", email="unique@mail.example", phone=None)
    c = make_request(db, name="Known Patient", email="known@mail.example", phone=None)
    make_patient(email="known@mail.example", phone=None)
    in_progress = make_request(db, name="In Progress", email="ip@mail.example", phone=None)
    with db.transaction() as session:
        intake_service.update_request(
            session,
            coordinator.account.actor,
            in_progress,
            ConsultationRequestPatch(status="contacted"),
            1,
        )
    found = items_of(db, coordinator.account.actor)
    duplicates = found["Possible duplicates among the open requests"]
    assert duplicates.count == 3
    assert {r.href for r in duplicates.rows} == {
        f"/consultation-requests/{a}",
        f"/consultation-requests/{b}",
        f"/consultation-requests/{c}",
    }
    [known] = [r for r in duplicates.rows if r.href.endswith(f"/{c}")]
    assert "registered patient" in known.note
    assert found["Requests in progress (contacted or scheduled)"].count == 1
    assert found["New requests waiting for a first contact"].count == 4

    html = coordinator.get("/").text
    assert {
        "/consultation-requests?status=new",
        "/consultation-requests?status=open",
        f"/consultation-requests/{a}",
    } <= hrefs(html.replace("&amp;", "&"))
    # Physicians' items are not a coordinator's.
    assert "Screenings waiting for review" not in found


# --- admins -----------------------------------------------------------------------------


def test_admin_sees_accounts_locked_accounts_and_audit_alerts(db, make_account, page_as, tmp_path):
    admin = page_as("admin")
    locked = make_account("nurse", email="locked.nurse@clinic.example.org")
    make_account("patient")
    with db.transaction() as session:
        session.execute(
            update(User)
            .where(User.id == locked.id)
            .values(failed_logins=5, locked_until=utcnow() + dt.timedelta(minutes=10))
        )
    found = items_of(db, admin.account.actor)
    locked_item = found["Locked accounts"]
    assert locked_item.count == 1 and locked_item.href == "/admin/users"
    assert locked_item.rows[0].text == f"{locked.actor.name} (locked.nurse@clinic.example.org)"
    assert locked_item.rows[0].params["failures"] == 5
    assert found["Active staff accounts"].count == 2  # the admin and the nurse
    assert found["Active patient accounts"].count == 1
    # A lock that has run out is no longer listed.
    later = utcnow() + dt.timedelta(minutes=11)
    with db.session() as session:
        assert accounts_worklist.items(session, admin.account.actor, now=later)[0].count == 0

    html = admin.get("/").text
    assert "Audit trail alerts" in html and 'href="/audit"' in html
    assert "Locked accounts" in html and 'href="/admin/users"' in html


def test_audit_alerts_compare_the_chain_with_its_newest_anchor(
    db, make_account, monkeypatch, tmp_path
):
    anchor_file = tmp_path / "anchor"
    monkeypatch.setenv("RESPIRA_AUDIT_ANCHOR_FILE", str(anchor_file))
    get_settings.cache_clear()
    admin = make_account("admin").actor
    now = utcnow()

    def alerts() -> tuple[list[str], list[str]]:
        with db.session() as session:
            problems, status = audit_worklist.alerts(session, now)
        return [p.note for p in problems], [s.note for s in status]

    problems, status = alerts()
    assert problems == ["The chain has no anchor yet: removing its newest records would go unseen"]
    with db.transaction() as session:
        written = audit.write_anchor(session)
    assert written is not None
    problems, status = alerts()
    assert problems == [] and len(status) == 2
    # A forged line, and an anchor of a record beyond the chain's head (cut short).
    key = audit.audit_key()
    beyond = audit.Anchor(written.seq + 3, "f" * 64, written.chain, now.isoformat())
    with anchor_file.open("a") as fh:
        fh.write('{"seq": 1, "hash": "x", "chain": "y", "at": "z", "mac": "0"}\n')
        fh.write(beyond.line(key) + "\n")
    problems, _ = alerts()
    assert problems == [
        "anchor file line %(line)s was not made with the audit key",
        "The chain ends at record %(seq)s but was anchored at record %(anchored)s: "
        "records were removed",
    ]
    with db.session() as session:
        [item] = audit_worklist.items(session, admin, now=now)
    assert item.count == 2 and item.urgency == "overdue"
    get_settings.cache_clear()


def test_a_stale_anchor_is_an_alert(db, make_account, monkeypatch, tmp_path):
    monkeypatch.setenv("RESPIRA_AUDIT_ANCHOR_FILE", str(tmp_path / "anchor"))
    get_settings.cache_clear()
    make_account("admin")
    with db.transaction() as session:
        audit.write_anchor(session)
    make_account("nurse")  # the chain moves on
    period = get_settings().audit_anchor_every_s
    with db.session() as session:
        fresh, _ = audit_worklist.alerts(session, utcnow())
        stale, _ = audit_worklist.alerts(session, utcnow() + dt.timedelta(seconds=3 * period + 1))
    assert fresh == []
    assert [p.note for p in stale] == ["No anchor since %(at)s: is the jobs process running?"]
    get_settings.cache_clear()


# --- nurses and the laboratory ----------------------------------------------------------


@pytest.fixture
def clinic(db, make_patient, make_account, monkeypatch) -> Clinic:
    from respira.diagnostics.snapshot import ClinicalSnapshot
    from respira.screening import decisions

    table: dict[int, ClinicalSnapshot] = {}
    monkeypatch.setattr(
        decisions,
        "clinical_snapshot",
        lambda _s, pid: table.get(pid, ClinicalSnapshot(patient_id=pid)),
    )
    return Clinic(db, make_patient, make_account, table, monkeypatch)


def test_nurse_and_laboratory_see_their_boards_counted(db, clinic, page_as, api_as):
    pid = clinic.eligible_patient()
    # Starts today: day 1 has an infusion and physiotherapy, day 3 another infusion.
    course = clinic.course(pid)
    nurse = clinic.nurse.actor
    today = clinic_today()  # the ward board's day
    found = items_of(db, nurse)
    due = found["Ward work due today and not recorded yet"]
    assert due.count == 2 and due.href == f"/ward?day={today.isoformat()}"
    assert due.rows[0].params == {"count": 2}
    assert found["Expected today and not admitted yet"].count == 1
    assert found["Patients on the ward"].count == 0
    r = api_as("nurse").post(
        f"/api/v1/patients/{pid}/admissions",
        json={"course_id": course.id, "admitted_at": utcnow().isoformat()},
    )
    assert r.status_code == 201, r.text
    found = items_of(db, nurse)
    assert found["Patients on the ward"].count == 1
    assert found["Expected today and not admitted yet"].count == 0

    lab = clinic.lab.actor
    found = items_of(db, lab)
    assert found["Infusions to prepare in the next %(days)s days"].count == 2
    clinic.lot(units=1, release=False)  # QC complete, not released
    clinic.lot(units=1, release=False, skip_qc=("sterility",))
    clinic.lot(units=1)  # released: no work left
    found = items_of(db, lab)
    assert found["Lots ready for release"].count == 1
    assert found["Lots with quality control to complete"].count == 1
    assert found["Lots on quarantine hold"].count == 0
    assert all(item.href == "/lab" for item in found.values())
    lab_home = page_as("lab").get("/")
    assert lab_home.status_code == 200 and "Lots ready for release" in lab_home.text
    nurse_home = page_as("nurse").get("/")
    assert f'href="/ward?day={today.isoformat()}"' in nurse_home.text
    # Each role sees its own items only.
    assert "Ward work due today and not recorded yet" not in found
    assert "Lots ready for release" not in items_of(db, nurse)


# --- one read transaction ----------------------------------------------------------------


def test_the_worklist_is_read_in_one_snapshot_while_others_commit(db, make_account, make_patient):
    """Counts agree with each other under concurrent writes: a visit committed by
    another transaction between two providers is seen by neither."""
    physician = make_account("physician").actor
    visit_with(db, make_patient(email="a@mail.example"), ("spirometry",))

    def unfinished(session: Any, actor: Actor) -> list[WorkItem]:
        return diagnostics_worklist.items(session, actor)

    def colleague_commits(_session: Any, _actor: Actor) -> list[WorkItem]:
        visit_with(db, make_patient(first_name="Meanwhile", email="m@mail.example"), ())
        return []

    with db.session() as session:
        first, second = worklist(session, physician, [unfinished, colleague_commits, unfinished])
    assert first.count == second.count == 1
    # The commit happened: a new read sees it.
    assert items_of(db, physician, [unfinished])["Visits with unfinished work"].count == 2


# --- the page -----------------------------------------------------------------------------


def test_the_worklist_page_is_translated(db, page_as, make_patient):
    physician = page_as("physician")
    visit_with(db, make_patient(), ("spirometry",))
    en = physician.get("/").text
    assert "Visits with unfinished work" in en
    de = physician.get("/?lang=de").text
    assert "Besuche mit offener Arbeit" in de and "Visits with unfinished work" not in de
    ru = physician.get("/?lang=ru").text
    assert "Визиты с незавершённой работой" in ru


def test_signed_out_visitors_and_patients_get_no_worklist(client, page_as):
    assert "Your worklist" not in client.get("/").text
    patient = page_as("patient").get("/").text
    assert "Your worklist" not in patient and 'href="/me"' in patient
