"""The follow-up's pages: the coordinators' list with its views and filters, a check-in
for staff (answers entered for the patient, phone calls, retraction, the link to record
a clinic visit), the patient's own check-in form in their language with its errors next
to the fields, the section of the patient's page, and the plan."""

from __future__ import annotations

import re

from sqlalchemy import select

from respira.followup.models import CheckIn

FORM = {
    "answers.0": "4",
    "answers.1": "4",
    "answers.2": "5",
    "answers.3": "3",
    "answers.4": "4",
    "rescue_puffs_per_week": "8",
    "maintenance_ocs_mg_per_day": "0",
    "medication_changed": "no",
}


def _check_in(db, follow_up_id):
    with db.session() as s:
        return s.scalars(select(CheckIn).where(CheckIn.follow_up_id == follow_up_id)).one()


def test_the_list_shows_the_due_check_ins_with_links_and_filters(fu, page_as):
    stay = fu.stay(first_name="Ingrid", last_name="Berg")
    fid = fu.open_window(stay.pid, 1, closes_in_days=2)
    coordinator = page_as("coordinator")
    r = coordinator.get("/follow-ups")
    assert r.status_code == 200
    assert "Berg, Ingrid" in r.text and f'href="/follow-ups/{fid}"' in r.text
    assert "closes soon" in r.text and 'class="table-scroll"' in r.text
    assert "Berg" not in coordinator.get("/follow-ups?view=missed").text
    assert "Berg" not in coordinator.get("/follow-ups?view=due&q=nobody").text
    assert "Berg" not in coordinator.get("/follow-ups?view=due&course=2").text
    german = coordinator.get("/follow-ups?lang=de")
    assert "Nachsorge nach der Entlassung" in german.text and "läuft bald ab" in german.text


def test_staff_enter_a_check_in_for_the_patient_and_record_a_call(fu, page_as, db):
    stay = fu.stay()
    fid = fu.open_window(stay.pid, 1, closes_in_days=5)
    coordinator = page_as("coordinator")
    page = coordinator.get(f"/follow-ups/{fid}")
    assert page.status_code == 200 and "Enter the check-in for the patient" in page.text
    assert f"/patients/{stay.pid}/visits/new" not in page.text  # physicians record visits
    r = coordinator.post_form(
        f"/follow-ups/{fid}/contacts",
        {"reached": "false", "note": "no answer, try tomorrow"},
        follow_redirects=True,
    )
    assert "Call recorded." in r.text and "no answer, try tomorrow" in r.text
    bad = coordinator.post_form(f"/follow-ups/{fid}/check-in", {**FORM, "answers.2": "9"})
    assert bad.status_code == 422 and "Please choose an answer from 1 to 5." in bad.text
    r = coordinator.post_form(
        f"/follow-ups/{fid}/check-in", {**FORM, "mode": "interview"}, follow_redirects=True
    )
    assert r.status_code == 200 and "Check-in recorded." in r.text
    stored = _check_in(db, fid)
    assert (stored.on_behalf, stored.mode, stored.score) == (True, "interview", 20.0)
    doc = page_as("physician")
    page = doc.get(f"/follow-ups/{fid}")
    assert f"/patients/{stay.pid}/visits/new" in page.text and "Score" in page.text
    r = doc.post_form(
        f"/follow-ups/{fid}/check-in/retract", {"reason": "entered twice"}, follow_redirects=True
    )
    assert "Check-in retracted." in r.text


def test_the_patient_answers_their_check_in_in_german_with_errors_next_to_the_fields(
    fu, page_as, db
):
    stay = fu.stay(preferred_language="de")
    fid = fu.open_window(stay.pid, 3, closes_in_days=5)
    patient = page_as("patient", patient_id=stay.pid)
    page = patient.get(f"/my/check-ins/{fid}")  # in the patient's preferred language
    assert page.status_code == 200
    assert "Ihr Check-in 3 Monate nach Ihrer Behandlung" in page.text
    assert "Kurzatmigkeit" in page.text and "Asthmaanfälle seit Ihrem letzten Check-in" in page.text
    form = {k: v for k, v in FORM.items() if k != "answers.1"}
    form.update({"rescue_puffs_per_week": "viel", "fev1_l": "3.8", "fvc_l": "3.3"})
    r = patient.post_form(f"/my/check-ins/{fid}", form)
    assert r.status_code == 422
    assert "Bitte wählen Sie eine Antwort." in r.text  # the question left out
    assert "Bitte geben Sie eine Zahl ein." in r.text  # "viel" puffs
    # A second attack row filled, the first left empty: the error names the right row.
    form = {
        **FORM,
        "exacerbations.1.started_on": "2999-01-01",
        "exacerbations.1.corticosteroid_course": "1",
    }
    r = patient.post_form(f"/my/check-ins/{fid}", form)
    assert r.status_code == 422 and 'id="e-exacerbations.1.started_on"' in r.text
    assert "Der Anfall kann nicht nach dem Tag Ihrer Antwort begonnen haben." in r.text
    form = {
        **FORM,
        "exacerbations.1.corticosteroid_course": "1",
        "medication_changed": "yes",
        "medication_changes": "Montelukast abgesetzt",
        "fev1_l": "2.4",
        "fvc_l": "3.3",
        "notes": "Es geht mir besser.",
    }
    r = patient.post_form(f"/my/check-ins/{fid}", form, follow_redirects=True)
    assert r.status_code == 200
    assert "Vielen Dank. Ihre Antworten wurden an Ihr Behandlungsteam gesendet." in r.text
    stored = _check_in(db, fid)
    assert stored.language == "de" and stored.severe_exacerbation_count == 1
    assert stored.medication_changes == "Montelukast abgesetzt" and stored.fev1_l == 2.4
    # The form is not shown again, the answers are.
    page = patient.get(f"/my/check-ins/{fid}?lang=de")
    assert "Meine Antworten senden" not in page.text and "Montelukast abgesetzt" in page.text


def test_the_language_switcher_wins_over_the_patients_preferred_language(fu, page_as):
    stay = fu.stay(preferred_language="de")
    fid = fu.open_window(stay.pid, 1, closes_in_days=5)
    patient = page_as("patient", patient_id=stay.pid)
    assert "Meine Antworten senden" in patient.get(f"/my/check-ins/{fid}").text
    patient.get("/language?lang=ru&next=/")
    assert "Отправить мои ответы" in patient.get(f"/my/check-ins/{fid}").text


def test_a_patient_cannot_open_another_patients_check_in_or_set_the_staff_fields(fu, page_as, db):
    stay = fu.stay()
    fid = fu.open_window(stay.pid, 1, closes_in_days=5)
    stranger = page_as("patient")
    assert stranger.get(f"/my/check-ins/{fid}").status_code == 404
    patient = page_as("patient", patient_id=stay.pid)
    r = patient.post_form(
        f"/my/check-ins/{fid}",
        {**FORM, "answered_on": "2020-01-01", "mode": "paper"},
        follow_redirects=True,
    )
    assert r.status_code == 200
    stored = _check_in(db, fid)
    assert stored.mode == "web" and stored.on_behalf is False


def test_an_upcoming_check_in_says_when_it_opens(fu, page_as):
    stay = fu.stay()
    patient = page_as("patient", patient_id=stay.pid)
    fid = fu.follow_up_id(stay.pid, 1)
    page = patient.get(f"/my/check-ins/{fid}")
    assert "This check-in opens on" in page.text and "Send my answers" not in page.text


def test_the_patients_page_lists_the_schedule_with_states(fu, page_as):
    stay = fu.stay()
    fid = fu.open_window(stay.pid, 1, closes_in_days=5)
    doc = page_as("physician")
    page = doc.get(f"/patients/{stay.pid}")
    assert "Follow-up check-ins" in page.text and f'href="/follow-ups/{fid}"' in page.text
    patient = page_as("patient", patient_id=stay.pid)
    page = patient.get(f"/patients/{stay.pid}")
    assert f'href="/my/check-ins/{fid}"' in page.text and "answer now" in page.text
    nurse = page_as("nurse")
    assert "Follow-up check-ins" not in nurse.get(f"/patients/{stay.pid}").text


def test_the_plan_page_shows_the_plan_and_sets_a_new_version(page_as):
    doc = page_as("physician")
    page = doc.get("/follow-up-plan")
    assert "The programme&#39;s default plan" in page.text or "default plan" in page.text
    values = {
        "month.0": "1",
        "before_days.0": "7",
        "after_days.0": "7",
        "month.1": "6",
        "before_days.1": "14",
        "after_days.1": "14",
        "closing_soon_days": "4",
        "source": "Programme board, 2026-12-06",
    }
    r = doc.post_form("/follow-up-plan", values, follow_redirects=True)
    assert "The new plan is in force" in r.text
    assert re.search(r"Version 1, set by", r.text)
    bad = doc.post_form("/follow-up-plan", {**values, "after_days.0": "90", "before_days.1": "60"})
    assert bad.status_code == 422 and "overlap" in bad.text
    assert page_as("coordinator").get("/follow-up-plan").status_code == 200
