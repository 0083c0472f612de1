"""Screening pages: the patient's page section, the findings form, running a screening,
the screening page with its decision, criteria and sign form, and who sees what."""

from __future__ import annotations

import re
from typing import Any

import pytest

from respira.kit.validation import today_utc
from tests.screening.screening_helpers import good_findings_values


@pytest.fixture
def physician(page_as):
    return page_as("physician")


def run(physician: Any, pid: int) -> tuple[int, Any]:
    r = physician.post_form(f"/patients/{pid}/screenings", {}, follow_redirects=False)
    assert r.status_code == 303, r.text
    location = r.headers["location"]
    m = re.fullmatch(r"/screenings/(\d+)", location)
    assert m, location
    return int(m.group(1)), physician.get(location)


def sign_form(physician: Any, sid: int, **data: str) -> Any:
    shown = re.search(r'name="version" value="(\d+)"', physician.get(f"/screenings/{sid}").text)
    data = {"version": shown.group(1) if shown else "", **data}
    return physician.post_form(
        f"/screenings/{sid}/sign", data, csrf_from=f"/screenings/{sid}", follow_redirects=False
    )


def radio_checked(page: str, name: str, value: str) -> bool:
    m = re.search(rf'<input type="radio" name="{name}" value="{value}"([^>]*)>', page)
    assert m, (name, value)
    return "checked" in m.group(1)


def test_the_patient_page_offers_findings_and_a_screening_run(physician, make_patient, snapshots):
    pid = make_patient()
    page = physician.get(f"/patients/{pid}")
    assert '<h2 id="h-screening">Screening</h2>' in page.text
    assert "No screening yet." in page.text
    assert f'href="/patients/{pid}/screening/findings/new"' in page.text
    assert f'action="/patients/{pid}/screenings"' in page.text


def test_the_findings_form_starts_unknown_and_shows_errors_beside_the_fields(
    physician, make_patient
):
    pid = make_patient()
    form = physician.get(f"/patients/{pid}/screening/findings/new")
    assert form.status_code == 200
    assert f'value="{today_utc().isoformat()}"' in form.text
    assert radio_checked(form.text, "pneumonia", "unknown")
    assert "Not assessed (unknown)" in form.text

    data = good_findings_values(today_utc(), egfr_ml_min_1_73m2="0.5", pneumonia="yes")
    data = {k: ("" if v is None else str(v)) for k, v in data.items()}
    bad = physician.post_form(
        f"/patients/{pid}/screening/findings", data, csrf_from=f"/patients/{pid}"
    )
    assert bad.status_code == 422
    assert 'id="e-egfr_ml_min_1_73m2"' in bad.text
    assert "is the unit mL/min/1.73m²?" in bad.text
    assert radio_checked(bad.text, "pneumonia", "yes")  # what was entered is kept

    data["egfr_ml_min_1_73m2"] = "72"
    data["alternative_diagnosis"] = "yes"
    data["alternative_diagnosis_detail"] = "<script>alert(1)</script> bronchiectasis"
    ok = physician.post_form(
        f"/patients/{pid}/screening/findings",
        data,
        csrf_from=f"/patients/{pid}",
        follow_redirects=False,
    )
    assert ok.status_code == 303, ok.text
    history = physician.get(f"/patients/{pid}/screening/findings")
    assert "(newest, counts)" in history.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; bronchiectasis" in history.text
    assert "<script>alert(1)" not in history.text
    again = physician.get(f"/patients/{pid}/screening/findings/new")
    assert radio_checked(again.text, "pneumonia", "yes")  # a new record starts from the newest


def test_a_screening_page_shows_the_decision_the_criteria_by_kind_and_the_sign_form(
    physician, candidate
):
    pid = candidate()
    sid, page = run(physician, pid)
    text = page.text
    assert page.status_code == 200
    assert '<h1 class="patient-name">Lindqvist, Greta</h1>' in text
    assert 'class="mrn">RSP-' in text
    assert "<strong>Decision: Eligible</strong> — not signed" in text
    assert 'class="notice" role="status" id="decision"' in text
    assert "respira-default-2026.12" in text
    for heading in ("Exclusion criteria", "Inclusion criteria", "Suitability"):
        assert f">{heading}</h3>" in text
    assert '<span class="badge ok">not met</span>' in text  # an exclusion that does not apply
    assert '<span class="badge ok">met</span>' in text
    # Shown rounded, the exact value on hover (issue 14).
    assert (
        'eGFR: <span class="value" title="Exact value: 88.0 mL/min/1.73m²">88 mL/min/1.73m²</span>'
        in text
    )
    assert "By signing you confirm, as the reviewing physician" in text
    assert 'name="password" type="password"' in text
    assert re.search(r'value="approved eligibility"\s*>', text)  # enabled for an eligible one
    section = physician.get(f"/patients/{pid}").text
    assert f'<a href="/screenings/{sid}">Screening {sid}</a>' in section
    assert '<span class="badge ok">Eligible</span>' in section


def test_signing_on_the_page_refuses_bad_input_beside_the_field_then_stores_it(
    physician, candidate
):
    sid, _ = run(physician, candidate())
    missing = sign_form(physician, sid, password=physician.account.password)
    assert missing.status_code == 422
    assert 'id="e-meaning"' in missing.text and "choose what your signature means" in missing.text

    wrong = sign_form(physician, sid, password="nope", meaning="approved eligibility")
    assert wrong.status_code == 403
    assert 'id="e-password"' in wrong.text
    assert "the password given for the signature is not correct" in wrong.text
    assert radio_checked(wrong.text, "meaning", "approved eligibility")

    ok = sign_form(
        physician, sid, password=physician.account.password, meaning="approved eligibility"
    )
    assert ok.status_code == 303
    page = physician.get(ok.headers["location"])
    assert "Signature stored. This decision can no longer change." in page.text
    assert "Signed <strong>“approved eligibility”</strong> by Physician" in page.text
    assert "matches the stored screening" in page.text
    assert f'action="/screenings/{sid}/sign"' not in page.text

    again = sign_form(physician, sid, password=physician.account.password, meaning="declined")
    assert again.status_code == 409
    assert "a signed decision never changes" in again.text
    note = physician.post_form(
        f"/screenings/{sid}/note",
        {"physician_note": "LATE-EDIT-XYZ", "version": "2"},
        csrf_from=f"/screenings/{sid}",
    )
    assert note.status_code == 409
    assert "LATE-EDIT-XYZ" not in physician.get(f"/screenings/{sid}").text


def test_approval_is_disabled_and_refused_for_a_screening_that_needs_review(physician, candidate):
    sid, page = run(physician, candidate(findings={"malignancy_active_or_within_5y": "unknown"}))
    assert "<strong>Decision: Needs review</strong>" in page.text
    assert 'class="warning" role="status" id="decision"' in page.text
    assert re.search(r'value="approved eligibility"\s*disabled>', page.text)
    assert "unknown, needs data or review: malignancy" in page.text
    assert '<span class="badge unknown">unknown</span>' in page.text
    r = sign_form(
        physician, sid, password=physician.account.password, meaning="approved eligibility"
    )
    assert r.status_code == 422
    assert "can be signed only for an eligible screening" in r.text
    declined = sign_form(physician, sid, password=physician.account.password, meaning="declined")
    assert declined.status_code == 303


def test_a_not_eligible_screening_shows_the_exclusion_that_decided_it(physician, candidate):
    _, page = run(physician, candidate(findings={"dialysis": "yes"}))
    assert "<strong>Decision: Not eligible</strong>" in page.text
    assert 'class="error-box" role="status" id="decision"' in page.text
    assert '<span class="badge bad">met — excludes</span>' in page.text
    assert "exclusion met: severe renal failure" in page.text


def test_the_note_is_saved_until_signing_and_a_stale_form_is_refused(physician, candidate):
    sid, _ = run(physician, candidate())
    r = physician.post_form(
        f"/screenings/{sid}/note",
        {"physician_note": "Discussed risks.", "version": "1"},
        csrf_from=f"/screenings/{sid}",
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = physician.get(r.headers["location"])
    assert "Note saved." in page.text and "Discussed risks." in page.text
    stale = physician.post_form(
        f"/screenings/{sid}/note",
        {"physician_note": "Other.", "version": "1"},
        csrf_from=f"/screenings/{sid}",
    )
    assert stale.status_code == 409
    assert "changed by someone else" in stale.text
    german = physician.post_form(
        f"/screenings/{sid}/note",
        {"physician_note": "Anders.", "version": "1"},
        csrf_from=f"/screenings/{sid}",
        headers={"Accept-Language": "de"},
        cookies={"respira_lang": "de"},
    )
    assert german.status_code == 409
    assert "Jemand anderes hat diesen Eintrag (Screening) inzwischen geändert" in german.text
    assert "Version 1 bearbeitet, jetzt gilt Version 2" in german.text


def test_an_older_screening_shows_that_it_is_superseded(physician, candidate):
    pid = candidate()
    first, _ = run(physician, pid)
    signed = sign_form(physician, first, password=physician.account.password, meaning="declined")
    assert signed.status_code == 303
    second, page = run(physician, pid)
    assert f'<a href="/screenings/{first}">screening {first}</a>' in page.text
    old = physician.get(f"/screenings/{first}").text
    assert f'Superseded by <a href="/screenings/{second}">screening {second}</a>' in old
    assert "Signed <strong>“declined”</strong>" in old  # kept as it was
    section = physician.get(f"/patients/{pid}").text
    assert f"The decision in force is still screening {first}" in section
    assert "<caption>Earlier screenings</caption>" in section
    assert f'<a href="/screenings/{first}">Screening {first}</a>' in section


def test_a_patient_sees_their_own_screening_without_a_sign_form_and_no_one_elses(
    page_as, physician, candidate
):
    own = candidate(first_name="Own", email="own@mail.example")
    other = candidate(first_name="Else", email="else@mail.example")
    mine, _ = run(physician, own)
    theirs, _ = run(physician, other)
    me = page_as("patient", patient_id=own)
    page = me.get(f"/screenings/{mine}")
    assert page.status_code == 200
    assert "Decision: Eligible" in page.text
    assert 'name="password"' not in page.text
    assert me.get(f"/screenings/{theirs}").status_code == 404
    assert me.get(f"/patients/{own}/screening/findings").status_code == 200
    assert me.get(f"/patients/{other}/screening/findings").status_code == 404


def test_a_coordinator_sees_where_the_patient_stands_but_no_clinical_detail(
    page_as, physician, candidate
):
    pid = candidate()
    sid, _ = run(physician, pid)
    coordinator = page_as("coordinator")
    section = coordinator.get(f"/patients/{pid}").text
    assert "Screening " + str(sid) in section
    assert '<span class="badge ok">Eligible</span>' in section
    assert f'href="/screenings/{sid}"' not in section
    assert "Run screening" not in section and "findings" not in section.split("h-screening")[1]
    assert coordinator.get(f"/screenings/{sid}").status_code == 403
