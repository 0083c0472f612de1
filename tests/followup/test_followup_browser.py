"""In real Chromium at a phone's width: the patient opens the one-time link of the
check-in reminder, switches to German, fills the 3-month check-in and sends it."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from respira.followup import service
from respira.followup.models import CheckIn
from respira.kit.db import utcnow
from respira.mail import service as mail

pytestmark = pytest.mark.browser


def test_the_patient_opens_the_reminder_link_and_answers_the_check_in_in_german(
    live_server, page, fu, make_account, db
):
    stay = fu.stay(first_name="Liesel", preferred_language="de")
    make_account("patient", patient_id=stay.pid)
    fid = fu.open_window(stay.pid, 3, closes_in_days=6)
    assert service.send_reminders(db, utcnow()) == 1
    with db.session() as s:
        (message,) = mail.outbox(s, kind="followup.reminder", patient_id=stay.pid)
    link = re.search(r"https?://\S+/login/link/\S+", message.text)
    assert link, message.text

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server + urlsplit(link.group(0)).path)
    page.wait_for_url(f"{live_server}/my/check-ins/{fid}")
    # In the patient's language, as the email was, without choosing it.
    main = page.locator("main")
    assert "Ihr Check-in 3 Monate nach Ihrer Behandlung" in main.inner_text()

    # Sending it half-filled: the missing answer is marked, in German.
    page.click("button:has-text('Meine Antworten senden')")
    page.wait_for_load_state()
    assert "Bitte wählen Sie eine Antwort." in main.inner_text()

    for i, value in enumerate([4, 3, 4, 3, 4]):
        page.check(f"input[name='answers.{i}'][value='{value}']")
    page.fill("#f-rescue_puffs_per_week", "10")
    page.fill("[id='f-exacerbations.0.started_on']", "2026-10-02")
    page.check("input[name='exacerbations.0.corticosteroid_course']")
    page.fill("#f-maintenance_ocs_mg_per_day", "0")
    page.check("input[name='medication_changed'][value='no']")
    page.fill("#f-notes", "Seit der Behandlung brauche ich das Spray seltener.")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.click("button:has-text('Meine Antworten senden')")
    page.wait_for_url(f"{live_server}/my/check-ins/{fid}?sent=1")
    assert (
        "Vielen Dank. Ihre Antworten wurden an Ihr Behandlungsteam gesendet." in main.inner_text()
    )

    with db.session() as s:
        stored = s.scalars(select(CheckIn).where(CheckIn.follow_up_id == fid)).one()
    assert (stored.language, stored.mode, stored.score) == ("de", "web", 18.0)
    assert stored.severe_exacerbation_count == 1
