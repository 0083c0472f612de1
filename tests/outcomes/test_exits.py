"""Registry exits: staff record that a patient withdrew, died or was lost to follow-up
(audited, reprojecting the patient's courses in the same transaction, so that the
windows change state), retract one entered in error, and every bad request is refused
with the field named and nothing changed; the API, the pages and the section of the
patient's page, and who may use them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa

from respira.kit.audit import AuditRecord
from respira.kit.db import Database
from respira.kit.errors import Conflict, InvalidInput
from respira.kit.validation import today_utc
from respira.outcomes import service
from respira.outcomes.models import OutcomeCourse, OutcomeExit
from respira.outcomes.registry import STATES, CohortFilter, load_cohort
from respira.outcomes.schemas import ExitIn, ExitRetractIn
from tests.followup.conftest import fu  # noqa: F401 (fixtures)
from tests.followup.followup_helpers import FollowUpClinic
from tests.treatment.conftest import clinic, snapshots  # noqa: F401 (fixtures)


@pytest.fixture
def ward(fu: FollowUpClinic) -> FollowUpClinic:  # noqa: F811
    return fu


@pytest.fixture
def treated(ward: FollowUpClinic) -> Any:
    """A discharged patient whose check-ins are all ahead (treated today)."""
    return ward.stay()


def month_states(db: Database) -> dict[int, str]:
    with db.session() as s:
        cohort = load_cohort(s, CohortFilter(), today_utc())
    return {month: STATES[w.state[0]] for month, w in cohort.windows.items()}


def record(db: Database, actor: Any, pid: int, **body: Any) -> Any:
    data = {"kind": "lost", "on_date": today_utc().isoformat(), "reason": "no answer", **body}
    with db.transaction() as s:
        return service.record_exit(s, actor, pid, ExitIn.model_validate(data))


def test_an_exit_turns_the_windows_ahead_into_its_kind_and_a_retraction_turns_them_back(
    treated: Any,
    db: Database,
    ward: FollowUpClinic,
) -> None:
    coordinator = ward.clinic.make_account("coordinator").actor
    assert set(month_states(db).values()) == {"upcoming"}
    out = record(db, coordinator, treated.pid, kind="withdrawn", reason="moved abroad")
    assert (out.kind, out.on_date, out.reason, out.retracted) == (
        "withdrawn",
        today_utc(),
        "moved abroad",
        False,
    )
    assert set(month_states(db).values()) == {"withdrawn"}
    with db.session() as s:
        row = s.scalars(sa.select(OutcomeCourse)).one()
        audit = s.scalars(
            sa.select(AuditRecord).where(AuditRecord.entity_type == "outcome_exit")
        ).all()
    assert (row.exit_kind, row.exit_on) == ("withdrawn", today_utc())
    assert [a.action for a in audit] == ["create"]
    with db.transaction() as s:
        back = service.retract_exit(
            s, coordinator, out.id, ExitRetractIn(reason="another patient's record")
        )
    assert back.retracted and back.retraction_reason == "another patient's record"
    assert set(month_states(db).values()) == {"upcoming"}
    with db.session() as s:
        assert s.scalars(sa.select(OutcomeCourse.exit_kind)).one() is None
        actions = s.scalars(
            sa.select(AuditRecord.action).where(AuditRecord.entity_type == "outcome_exit")
        ).all()
    assert sorted(actions) == ["create", "retract"]
    with pytest.raises(Conflict), db.transaction() as s:
        service.retract_exit(s, coordinator, out.id, ExitRetractIn(reason="again"))


def test_a_window_answered_before_the_exit_stays_completed(
    treated: Any,
    db: Database,
    ward: FollowUpClinic,
) -> None:
    # Three months later the 1-month window was missed; the exit takes the rest.
    ward.age(treated.pid, 100)
    with db.transaction() as s:
        service.project_course(s, treated.course.id)
    assert month_states(db)[1] == "missed"
    record(db, ward.clinic.physician.actor, treated.pid, kind="died", reason="stroke")
    states = month_states(db)
    assert states[1] == "missed" and states[3] == "died" and states[12] == "died"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"on_date": (today_utc() + dt.timedelta(days=1)).isoformat()}, "on_date"),
        ({"on_date": (today_utc() - dt.timedelta(days=400)).isoformat()}, "on_date"),
    ],
)
def test_a_day_in_the_future_or_before_the_first_course_is_refused(
    treated: Any,
    db: Database,
    ward: FollowUpClinic,
    body: dict[str, Any],
    field: str,
) -> None:
    with pytest.raises(InvalidInput) as caught:
        record(db, ward.clinic.physician.actor, treated.pid, **body)
    assert set(caught.value.errors) == {field}
    with db.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(OutcomeExit)) == 0


def test_a_patient_without_a_treated_course_has_no_follow_up_to_leave(
    db: Database,
    ward: FollowUpClinic,
) -> None:
    pid = ward.patient()
    with pytest.raises(InvalidInput) as caught:
        record(db, ward.clinic.physician.actor, pid)
    assert "__all__" in caught.value.errors


def test_nothing_follows_a_death(treated: Any, db: Database, ward: FollowUpClinic) -> None:
    doc = ward.clinic.physician.actor
    record(db, doc, treated.pid, kind="died", reason="stroke")
    with pytest.raises(Conflict):
        record(db, doc, treated.pid, kind="lost")


# --- the API -------------------------------------------------------------------------


def test_the_api_records_lists_reads_and_retracts(
    treated: Any,
    api_as: Any,
    db: Database,
) -> None:
    coordinator = api_as("coordinator")
    url = f"/api/v1/patients/{treated.pid}/registry-exits"
    r = coordinator.post(
        url, json={"kind": "lost", "on_date": today_utc().isoformat(), "reason": "no answer"}
    )
    assert r.status_code == 201, r.text
    exit_id = r.json()["id"]
    assert r.headers["Location"] == f"/api/v1/registry-exits/{exit_id}"
    admin = api_as("admin")
    listed = admin.get(url)
    assert listed.status_code == 200 and [x["kind"] for x in listed.json()] == ["lost"]
    assert admin.get(f"/api/v1/registry-exits/{exit_id}").json()["recorded_by"]
    # An admin reads but does not record; a nurse does neither.
    assert admin.post(url, json={}).status_code == 403
    assert api_as("nurse").get(url).status_code == 403
    r = coordinator.post(f"/api/v1/registry-exits/{exit_id}/retract", json={"reason": "wrong"})
    assert r.status_code == 200 and r.json()["retracted"] is True
    again = coordinator.post(f"/api/v1/registry-exits/{exit_id}/retract", json={"reason": "x"})
    assert again.status_code == 409
    missing = coordinator.post("/api/v1/registry-exits/999999/retract", json={"reason": "x"})
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "moved", "on_date": "2026-01-01", "reason": "x"}, "kind"),
        ({"kind": "lost", "on_date": "yesterday", "reason": "x"}, "on_date"),
        ({"kind": "lost", "on_date": "2026-01-01", "reason": "  "}, "reason"),
        ({"kind": "lost", "on_date": "2026-01-01", "reason": "x", "extra": 1}, "extra"),
    ],
)
def test_the_api_refuses_bad_input_naming_the_field(
    treated: Any,
    api_as: Any,
    body: dict[str, Any],
    field: str,
) -> None:
    r = api_as("physician").post(f"/api/v1/patients/{treated.pid}/registry-exits", json=body)
    assert r.status_code == 422
    assert field in r.text


# --- the pages -------------------------------------------------------------------------


def test_the_patient_page_lists_exits_and_the_forms_record_and_retract(
    treated: Any,
    page_as: Any,
    db: Database,
) -> None:
    coordinator = page_as("coordinator")
    patient_page = f"/patients/{treated.pid}"
    page = coordinator.get(patient_page)
    assert 'id="registry-exits"' in page.text and "No exit from follow-up recorded." in page.text
    form = f"/patients/{treated.pid}/registry-exits/new"
    assert coordinator.get(form).status_code == 200
    tomorrow = (today_utc() + dt.timedelta(days=1)).isoformat()
    refused = coordinator.post_form(
        f"/patients/{treated.pid}/registry-exits",
        {"kind": "", "on_date": tomorrow, "reason": ""},
        csrf_from=form,
    )
    assert refused.status_code == 422
    assert "Choose what happened." in refused.text
    assert "Say why, in at most 1000 characters." in refused.text
    with db.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(OutcomeExit)) == 0
    future = coordinator.post_form(
        f"/patients/{treated.pid}/registry-exits",
        {"kind": "lost", "on_date": tomorrow, "reason": "no answer"},
        csrf_from=form,
    )
    assert future.status_code == 422 and "cannot be in the future" in future.text
    done = coordinator.post_form(
        f"/patients/{treated.pid}/registry-exits",
        {"kind": "lost", "on_date": today_utc().isoformat(), "reason": "no answer to 3 calls"},
        csrf_from=form,
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"].startswith(patient_page)
    page = coordinator.get(patient_page)
    assert "Lost to follow-up" in page.text and "no answer to 3 calls" in page.text
    assert "(UTC)" in page.text  # when it was recorded, in the clinic's time zone
    with db.session() as s:
        exit_id = s.scalars(sa.select(OutcomeExit.id)).one()
    retract = f"/registry-exits/{exit_id}/retract"
    assert coordinator.post_form(retract, {"reason": ""}, csrf_from=retract).status_code == 422
    gone = coordinator.post_form(
        retract, {"reason": "wrong patient"}, csrf_from=retract, follow_redirects=False
    )
    assert gone.status_code == 303
    page = coordinator.get(patient_page)
    assert "Retracted by" in page.text and "wrong patient" in page.text


def test_the_section_is_for_staff_who_read_exits_and_speaks_german(
    treated: Any,
    page_as: Any,
) -> None:
    patient_page = f"/patients/{treated.pid}"
    assert 'id="registry-exits"' not in page_as("nurse").get(patient_page).text
    admin = page_as("admin")
    page = admin.get(patient_page)
    assert 'id="registry-exits"' in page.text
    assert "Record an exit from follow-up" not in page.text  # admins read only
    german = admin.get(patient_page, headers={"Accept-Language": "de"})
    assert "Ausscheiden aus der Nachsorge" in german.text
