"""Signed screenings whose evidence changed (issue 14) and what a patient sees of
retracted evidence (issue 7, defect 5): the records a screening read are kept with it;
when one is retracted or superseded the screening stays as signed but says so, in the
API (``evidence_changed``, ``changed_evidence``), on its page, on the patient's page and
in the worklist's service function."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import event

from respira.diagnostics import service as diagnostics_service
from respira.diagnostics.schemas import (
    HistoryIn,
    MarkersIn,
    QuestionnaireIn,
    SpirometryIn,
    VisitIn,
)
from respira.kit.actors import Actor
from respira.kit.validation import today_utc
from respira.screening import service
from tests.screening.screening_helpers import good_findings_values
from tests.screening.test_screening_api import APPROVE, HISTORY, MARKERS, SPIRO, evaluate, sign

REASON = "entered on the wrong patient"


@pytest.fixture
def worked_up(db, make_patient, doc):
    """A patient with a real diagnostic work-up and findings of today: an eligible
    candidate. Returns (patient id, visit id, {kind: record id})."""

    def make(**patient: Any) -> tuple[int, int, dict[str, int]]:
        pid = make_patient(height_cm=168.0, **patient)
        today = today_utc()
        system = Actor.system("test")
        with db.transaction() as session:
            visit = diagnostics_service.create_visit(
                session, system, pid, VisitIn(visit_date=today - dt.timedelta(days=3))
            )
        ids: dict[str, int] = {}
        with db.transaction() as session:
            ids["spirometry"] = diagnostics_service.record_spirometry(
                session, system, visit.id, SpirometryIn.model_validate(SPIRO)
            ).id
        with db.transaction() as session:
            ids["markers"] = diagnostics_service.record_markers(
                session, system, visit.id, MarkersIn.model_validate(MARKERS)
            ).id
        with db.transaction() as session:
            ids["questionnaires"] = diagnostics_service.record_questionnaire(
                session,
                system,
                visit.id,
                QuestionnaireIn.model_validate({"instrument": "act", "answers": [2, 3, 3, 2, 3]}),
            ).id
        with db.transaction() as session:
            ids["history"] = diagnostics_service.record_history(
                session, system, visit.id, HistoryIn.model_validate(HISTORY)
            ).id
        r = doc.post(f"/api/v1/patients/{pid}/screening-findings", json=good_findings_values(today))
        assert r.status_code == 201, r.text
        ids["findings"] = r.json()["id"]
        return pid, visit.id, ids

    return make


def _retract(client: Any, visit_id: int, kind: str, record_id: int) -> None:
    r = client.post(
        f"/api/v1/visits/{visit_id}/{kind}/{record_id}/retract", json={"reason": REASON}
    )
    assert r.status_code == 200, r.text


def test_a_signed_screening_whose_act_is_retracted_says_so_and_stays_signed(
    db, api_as, doc, worked_up
):
    pid, vid, ids = worked_up()
    out = evaluate(doc, pid)
    assert out["decision"] == "eligible", out["reasons"]
    assert out["evidence_changed"] is False and out["changed_evidence"] == []
    assert sign(doc, out["id"], APPROVE).status_code == 200

    colleague = api_as("physician")
    _retract(colleague, vid, "questionnaires", ids["questionnaires"])

    got = doc.get(f"/api/v1/screenings/{out['id']}").json()
    assert got["signed"] is True and got["signature_valid"] is True
    assert got["decision"] == "eligible" and got["criteria"] == out["criteria"]
    assert got["evidence_changed"] is True
    [changed] = got["changed_evidence"]
    assert changed["record_type"] == "questionnaire_response"
    assert changed["record_id"] == ids["questionnaires"]
    assert changed["change"] == "retracted"
    assert changed["reason"] == REASON
    assert changed["changed_by"] == colleague.account.actor.name
    listed = doc.get(f"/api/v1/patients/{pid}/screenings").json()
    assert listed[0]["evidence_changed"] is True
    assert listed[0]["changed_evidence"] == got["changed_evidence"]

    with db.session() as session:
        worklist = service.signed_with_changed_evidence(session, doc.account.actor)
    assert [s.id for s in worklist] == [out["id"]]

    # Screening again answers the prompt: the new screening rests on today's records.
    again = evaluate(doc, pid)
    assert again["evidence_changed"] is False
    with db.session() as session:
        assert service.signed_with_changed_evidence(session, doc.account.actor) == []


def test_a_retracted_visit_and_superseded_findings_count_as_changed(db, doc, worked_up):
    pid, vid, _ = worked_up()
    out = evaluate(doc, pid)
    assert doc.get(f"/api/v1/screenings/{out['id']}").json()["evidence_changed"] is False
    body = good_findings_values(today_utc(), notes="seen again")
    new = doc.post(f"/api/v1/patients/{pid}/screening-findings", json=body).json()
    got = doc.get(f"/api/v1/screenings/{out['id']}").json()
    assert [
        (c["record_type"], c["change"], c["superseded_by_id"]) for c in got["changed_evidence"]
    ] == [("screening_findings", "superseded", new["id"])]
    r = doc.post(f"/api/v1/visits/{vid}/retract", json={"reason": REASON})
    assert r.status_code == 200, r.text
    got = doc.get(f"/api/v1/screenings/{out['id']}").json()
    kinds = {c["record_type"] for c in got["changed_evidence"] if c["change"] == "retracted"}
    assert kinds == {
        "spirometry_session",
        "marker_panel",
        "questionnaire_response",
        "treatment_history",
    }
    assert all(
        c["reason"] == f"visit retracted: {REASON}"
        for c in got["changed_evidence"]
        if c["change"] == "retracted"
    )


def test_unsigned_screenings_are_not_in_the_worklist(db, doc, worked_up):
    pid, vid, ids = worked_up()
    evaluate(doc, pid)
    _retract(doc, vid, "questionnaires", ids["questionnaires"])
    with db.session() as session:
        assert service.signed_with_changed_evidence(session, doc.account.actor) == []


def test_the_worklist_is_for_physicians_and_admins(db, api_as, doc):
    from respira.kit.errors import Forbidden

    for role in ("coordinator", "patient", "lab"):
        actor = api_as(role).account.actor
        with db.session() as session, pytest.raises(Forbidden):
            service.signed_with_changed_evidence(session, actor)


def test_a_patient_does_not_see_retracted_evidence(api_as, doc, worked_up):
    pid, vid, ids = worked_up()
    out = evaluate(doc, pid)
    assert sign(doc, out["id"], APPROVE).status_code == 200
    spiro_source = f"visit {vid} / spirometry {ids['spirometry']}"
    assert spiro_source in json.dumps(out["criteria"])
    _retract(doc, vid, "spirometry", ids["spirometry"])

    me = api_as("patient", patient_id=pid)
    for got in (
        me.get(f"/api/v1/screenings/{out['id']}").json(),
        me.get(f"/api/v1/patients/{pid}/screenings").json()[0],
    ):
        assert spiro_source not in json.dumps(got)
        assert got["evidence_changed"] is True
        assert got["changed_evidence"] == []  # the retracted record is not shown
        withdrawn = [
            f
            for c in got["criteria"]
            for f in c["facts"]
            if f["text"].endswith("from a record that was withdrawn after this screening")
        ]
        assert withdrawn and all(f["value"] is None and f["source"] is None for f in withdrawn)
        confirmed = {c["id"]: c for c in got["criteria"]}["confirmed_asthma"]
        assert "withdrawn after this screening" in confirmed["evidence"]
    # Staff still see the record and what happened to it.
    staff = doc.get(f"/api/v1/screenings/{out['id']}").json()
    assert spiro_source in json.dumps(staff["criteria"])
    assert staff["changed_evidence"][0]["record_type"] == "spirometry_session"


def test_the_pages_say_the_evidence_changed(api_as, page_as, doc, worked_up):
    pid, vid, ids = worked_up()
    out = evaluate(doc, pid)
    assert sign(doc, out["id"], APPROVE).status_code == 200
    physician = page_as("physician")
    assert 'id="evidence-changed"' not in physician.get(f"/screenings/{out['id']}").text
    _retract(doc, vid, "questionnaires", ids["questionnaires"])

    page = physician.get(f"/screenings/{out['id']}").text
    assert 'id="evidence-changed"' in page
    assert "The decision stays as it was signed" in page
    assert f"Questionnaire {ids['questionnaires']}: retracted" in page
    assert REASON in page
    assert "Screen again" in page
    patient_page = physician.get(f"/patients/{pid}").text
    assert f'id="evidence-changed-{out["id"]}"' in patient_page
    assert f"questionnaire {ids['questionnaires']} retracted" in patient_page
    coordinator = page_as("coordinator").get(f"/patients/{pid}").text
    assert f'id="evidence-changed-{out["id"]}"' in coordinator
    assert f"questionnaire {ids['questionnaires']}" not in coordinator  # no evidence detail


@pytest.mark.parametrize(
    ("lang", "line", "inline"),
    [
        ("de", "Fragebogen {id}: zurückgezogen", "Fragebogen {id} zurückgezogen"),
        ("ru", "Опросник {id}: отозвано", "опросник {id} отозвано"),
    ],
)
def test_the_changed_records_are_named_in_the_readers_language(
    page_as, doc, worked_up, lang, line, inline
):
    """Issue 14: the changed-evidence box names the record's kind and its change in the
    reader's language (the API's ``label`` and ``change`` stay English)."""
    pid, vid, ids = worked_up()
    out = evaluate(doc, pid)
    assert sign(doc, out["id"], APPROVE).status_code == 200
    _retract(doc, vid, "questionnaires", ids["questionnaires"])
    physician = page_as("physician")
    page = physician.get(f"/screenings/{out['id']}?lang={lang}").text
    assert line.format(id=ids["questionnaires"]) in page
    assert f"Questionnaire {ids['questionnaires']}: retracted" not in page
    patient_page = physician.get(f"/patients/{pid}?lang={lang}").text
    assert inline.format(id=ids["questionnaires"]) in patient_page
    api = doc.get(f"/api/v1/screenings/{out['id']}").json()
    assert [(e["label"], e["change"]) for e in api["changed_evidence"]] == [
        (f"questionnaire {ids['questionnaires']}", "retracted")
    ]


def test_the_screening_answers_the_infusion_day_recheck(doc, worked_up):
    pid, _, _ = worked_up()
    out = evaluate(doc, pid)
    assert out["recheck_before_first_infusion"] == [
        "active_infection",
        "pregnancy_or_lactation",
        "recent_exacerbation",
        "recent_respiratory_infection",
    ]


def test_lists_ask_for_changed_evidence_once_not_per_screening(db, doc, worked_up):
    pid, vid, ids = worked_up()

    def queries_to_list() -> int:
        seen: list[str] = []

        def count(*args: Any) -> None:
            seen.append(args[2])

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            r = doc.get(f"/api/v1/patients/{pid}/screenings")
            assert r.status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(seen)

    evaluate(doc, pid)
    _retract(doc, vid, "markers", ids["markers"])
    evaluate(doc, pid)
    few = queries_to_list()
    for _ in range(4):
        evaluate(doc, pid)
    _retract(doc, vid, "questionnaires", ids["questionnaires"])
    assert queries_to_list() == few
