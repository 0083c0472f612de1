"""Issue 11's walk-through in real Chromium, from the infusion to the booked call, through
the pages only (the clinic's set-up - an eligible patient, an approved course, a released
unit, the stay - is made through the real use cases):

1. a nurse records a grade-3 infusion related reaction and marks it serious (the stay
   was prolonged);
2. a physician sees the banner, opens the event and signs the initial report;
3. three months later the check-in window is open; the reminder email carries a
   one-time link, and the patient (German-speaking) opens it on a phone, fills the
   3-month check-in in German and sends it;
4. the patient books a follow-up phone call.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from respira.appointments import service as appointments
from respira.appointments.schemas import SlotIn
from respira.followup import service as followup
from respira.followup.models import CheckIn
from respira.kit.db import utcnow
from respira.mail import service as mail
from respira.treatment import service as treatment
from tests.conftest import PASSWORD
from tests.conftest import browser_sign_in as staff_sign_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def no_sideways_scroll(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_from_a_serious_infusion_reaction_to_the_booked_follow_up_call(
    live_server, page, fu, make_account, db
):
    clinic = fu.clinic
    stay = fu.stay(first_name="Liesel", preferred_language="de")
    with db.session() as s:
        (given,) = treatment.list_administrations(s, clinic.nurse.actor, stay.pid)
    page.set_viewport_size(PHONE)

    # 1. The nurse records the reaction and marks it serious.
    staff_sign_in(page, live_server, f"/patients/{stay.pid}", clinic.nurse.email)
    page.click("a:has-text('Record an adverse event')")
    page.select_option("#f-term", "Infusion related reaction")
    page.click("button:has-text('Show the grades of this term')")
    page.check("#f-grade-3")
    page.select_option("#f-administration_id", str(given.id))
    page.check("#f-criterion-hospitalisation")
    page.select_option("#f-causality", "probable")
    page.fill("#f-action", "infusion slowed; IV antihistamine")
    page.click("button:has-text('Record the adverse event')")
    page.wait_for_load_state()
    assert "SERIOUS" in page.locator("#event-heading").inner_text()
    event_url = page.url.split("?")[0]
    no_sideways_scroll(page)

    # 2. A physician sees the banner on whatever page they open, and signs the report.
    staff_sign_in(page, live_server, "/follow-ups", clinic.physician.email)
    banner = page.locator(".banner-alert a")
    assert "Serious adverse event awaiting acknowledgement" in banner.inner_text()
    banner.click()
    page.wait_for_url(event_url)
    page.fill("#f-text", "Grade 3 infusion reaction during the first infusion; resolved.")
    page.fill("#f-password", PASSWORD)
    page.click("button:has-text('Sign the report')")
    page.wait_for_load_state()
    assert "The report was signed." in page.locator("main").inner_text()
    assert page.locator(".banner-alert").count() == 0

    # 3. Three months on: the window is open and the reminder goes out with its link.
    patient = make_account("patient", patient_id=stay.pid)
    follow_up_id = fu.open_window(stay.pid, 3, closes_in_days=6)
    assert followup.send_reminders(db, utcnow()) == 1
    with db.session() as s:
        (reminder,) = mail.outbox(s, kind="followup.reminder", patient_id=stay.pid)
    link = re.search(r"https?://\S+/login/link/\S+", reminder.text)
    assert link, "the reminder carries a one-time sign-in link"
    page.context.clear_cookies()
    page.goto(live_server + urlsplit(link.group(0)).path)
    page.wait_for_url(f"{live_server}/my/check-ins/{follow_up_id}")
    main = page.locator("main")
    assert "Ihr Check-in 3 Monate nach Ihrer Behandlung" in main.inner_text()
    for i, value in enumerate([4, 4, 3, 4, 4]):
        page.check(f"input[name='answers.{i}'][value='{value}']")
    page.fill("#f-rescue_puffs_per_week", "4")
    page.fill("#f-maintenance_ocs_mg_per_day", "0")
    page.check("input[name='medication_changed'][value='no']")
    no_sideways_scroll(page)
    page.click("button:has-text('Meine Antworten senden')")
    page.wait_for_url(f"{live_server}/my/check-ins/{follow_up_id}?sent=1")
    with db.session() as s:
        stored = s.scalars(select(CheckIn).where(CheckIn.follow_up_id == follow_up_id)).one()
    assert (stored.language, stored.score) == ("de", 19.0)
    # The link was for one use: a second click lands on the sign-in page, not an error.
    page.context.clear_cookies()
    page.goto(live_server + urlsplit(link.group(0)).path)
    assert urlsplit(page.url).path == "/login"

    # 4. Signed in again, the patient books a follow-up call.
    start = (utcnow() + dt.timedelta(days=4)).replace(hour=9, minute=0, second=0, microsecond=0)
    with db.transaction() as s:
        slot = appointments.publish_slot(
            s,
            clinic.physician.actor,
            SlotIn(start=start, duration_min=20, kind="phone_call", held_by_id=clinic.physician.id),
        )
    page.goto(f"{live_server}/login?next=/my/appointments")
    page.fill("#email", patient.email)
    page.fill("#password", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{live_server}/my/appointments")
    assert page.locator("h1").inner_text() == "Meine Termine"
    page.click(f"form[action='/appointments/slots/{slot.id}/book'] button")
    page.wait_for_url(f"{live_server}/my/appointments?done=booked")
    assert "Ihr Termin ist gebucht" in page.locator("main").inner_text()
    no_sideways_scroll(page)
    with db.session() as s:
        (booked,) = appointments.appointments_for_patient(s, clinic.physician.actor, stay.pid)
        invitations = mail.outbox(s, kind="appointments.invitation", patient_id=stay.pid)
    assert booked.slot_id == slot.id
    assert len(invitations) == 1 and invitations[0].attachments[0].filename.endswith(".ics")
