"""The patient's own page: their course and stay, their results with explanations in
plain words (as measured, no claim of benefit), their check-ins, appointments and
messages, in their language; and nothing of another patient's."""

from __future__ import annotations

import datetime as dt
from typing import Any

from respira.diagnostics import service as diagnostics_service
from respira.diagnostics.schemas import QuestionnaireIn, SpirometryIn, VisitIn
from tests.diagnostics.helpers import SPIRO
from tests.messages.messages_helpers import start, write


def _results(db: Any, doctor: Any, pid: int) -> None:
    with db.transaction() as s:
        visit = diagnostics_service.create_visit(
            s, doctor, pid, VisitIn(visit_date=dt.date.today() - dt.timedelta(days=3))
        )
    with db.transaction() as s:
        diagnostics_service.record_spirometry(s, doctor, visit.id, SpirometryIn(**SPIRO))
    with db.transaction() as s:
        diagnostics_service.record_questionnaire(
            s, doctor, visit.id, QuestionnaireIn(instrument="act", answers=[4, 4, 4, 4, 4])
        )


def test_the_home_page_shows_the_patients_course_results_and_messages_in_german(
    db, clinic, make_account, browser
):
    pid = clinic.eligible_patient(first_name="Hanna", preferred_language="de")
    course = clinic.course(pid)
    _results(db, clinic.physician.actor, pid)
    me = make_account("patient", patient_id=pid)
    thread = start(db, me.actor, pid, "Frage zur Inhalation")
    write(db, clinic.physician.actor, thread.id, "Antwort")
    html = browser(me).get("/my").text
    assert 'lang="de"' in html and "Guten Tag, Hanna" in html
    assert "Behandlungszyklus 1" in html and "0 von 2 gegeben" in html  # infusions on day 1 and 3
    assert f'href="/courses/{course.id}/schedule"' in html
    assert "Asthma-Kontroll-Test (ACT)" in html
    assert "20 (5 bis 25 Punkte; höher ist besser)" in html
    assert "Ihr Asthma war in den 4 Wochen davor gut kontrolliert." in html
    assert "% des erwarteten Werts" in html and "2.10 Liter" in html
    assert (
        "Im Bereich, der für einen gesunden Menschen" in html or "Niedriger als der Bereich" in html
    )
    assert "Das zeigt, wie Ihre Lunge an diesem Tag gearbeitet hat." in html
    assert (
        "Frage zur Inhalation" in html and "Neue Nachrichten von Ihrem Behandlungsteam: 1" in html
    )
    assert "Derzeit ist keine Nachsorge-Befragung für Sie geplant." in html
    assert "Sie haben keinen Termin gebucht." in html
    assert browser(me).get("/my?lang=en").text.count("Your results") == 1


def test_a_patient_sees_nothing_of_another_patients_portal(db, patient, make_account, browser):
    other = make_account("patient")
    theirs = start(db, other.actor, other.patient_id, "Another patient's worry")
    client = browser(patient)
    html = client.get("/my").text
    assert "Another patient's worry" not in html
    assert client.get(f"/my/messages/{theirs.id}").status_code == 404
    page = f"/my/messages/{theirs.id}"
    r = client.post_form(page, {"body": "hello"}, csrf_from="/my/messages")
    assert r.status_code == 404
    assert client.get(f"/patients/{other.patient_id}").status_code == 404
    assert client.get(f"/api/v1/patients/{other.patient_id}/threads").status_code == 401


def test_staff_have_no_portal_page(page_as):
    assert page_as("physician").get("/my").status_code == 403
