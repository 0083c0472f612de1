"""Reminders: one email when a window opens and one a few days before it closes, each
once, in the patient's language, with a one-time sign-in link to the check-in; none
for a patient without an email address or a portal account (the coordinators see why);
none once the check-in is answered."""

from __future__ import annotations

import re

from sqlalchemy import select

from respira.followup import service
from respira.followup.models import FollowUpReminder
from respira.kit.db import utcnow
from respira.mail import service as mail
from tests.followup.followup_helpers import check_in_body


def _run(db):
    return service.send_reminders(db, utcnow())


def _mail(db, pid):
    with db.session() as s:
        return mail.outbox(s, kind="followup.reminder", patient_id=pid)


def _reminders(db, follow_up_id):
    with db.session() as s:
        rows = s.scalars(
            select(FollowUpReminder)
            .where(FollowUpReminder.follow_up_id == follow_up_id)
            .order_by(FollowUpReminder.id)
        )
        return [(r.kind, r.outcome) for r in rows]


def test_a_window_opening_sends_one_email_with_a_one_time_link_and_never_twice(
    fu, db, make_account
):
    stay = fu.stay()
    make_account("patient", patient_id=stay.pid)
    assert _run(db) == 0  # nothing is open yet
    fid = fu.open_window(stay.pid, 1, closes_in_days=10)
    assert _run(db) == 1
    assert _run(db) == 0
    (message,) = _mail(db, stay.pid)
    assert message.to == ["ward1@mail.example"]
    assert "1-month check-in is open" in message.subject
    link = re.search(r"(http\S+/login/link/\S+)", message.text)
    assert link, message.text
    assert f"/my/check-ins/{fid}" in message.text  # the ordinary sign-in, if it expired
    assert _reminders(db, fid) == [("window_open", "queued")]


def test_a_second_email_goes_out_before_the_window_closes_and_only_once(fu, db, make_account):
    stay = fu.stay()
    make_account("patient", patient_id=stay.pid)
    fid = fu.open_window(stay.pid, 1, closes_in_days=10)
    assert _run(db) == 1
    fu.age(stay.pid, 7)  # three days left
    assert _run(db) == 1
    assert _run(db) == 0
    subjects = [m.subject for m in _mail(db, stay.pid)]
    assert any(s.startswith("Reminder: your 1-month check-in closes on") for s in subjects)
    assert _reminders(db, fid) == [("window_open", "queued"), ("closing", "queued")]


def test_when_both_are_due_only_the_closing_reminder_is_sent(fu, db, make_account):
    stay = fu.stay()
    make_account("patient", patient_id=stay.pid)
    fid = fu.open_window(stay.pid, 1, closes_in_days=1)
    assert _run(db) == 1
    assert _reminders(db, fid) == [("window_open", "skipped"), ("closing", "queued")]


def test_the_email_is_in_the_patients_language(fu, db, make_account):
    stay = fu.stay(preferred_language="de-AT")
    make_account("patient", patient_id=stay.pid)
    fu.open_window(stay.pid, 3, closes_in_days=10)
    _run(db)
    (message,) = _mail(db, stay.pid)
    assert message.subject == "Ihr Check-in nach 3 Monaten ist geöffnet"
    assert "Link" in message.text and "/login/link/" in message.text
    other = fu.stay(preferred_language="ru")
    make_account("patient", patient_id=other.pid)
    fu.open_window(other.pid, 1, closes_in_days=10)
    _run(db)
    (message,) = _mail(db, other.pid)
    assert "опрос" in message.subject


def test_no_email_without_an_address_or_an_account_and_the_list_says_why(fu, db, make_account):
    no_account = fu.stay()
    fid = fu.open_window(no_account.pid, 1, closes_in_days=10)
    no_email = fu.stay(email=None)
    fid2 = fu.open_window(no_email.pid, 1, closes_in_days=10)
    assert _run(db) == 0
    assert _reminders(db, fid) == [("window_open", "no_account")]
    assert _reminders(db, fid2) == [("window_open", "no_email")]
    assert _mail(db, no_account.pid) == [] and _mail(db, no_email.pid) == []
    coordinator = make_account("coordinator").actor
    with db.session() as s:
        board = service.board(s, coordinator, view="due")
    reasons = {item.patient_id: item.no_reminder_reason for item in board.items}
    assert reasons == {no_account.pid: "no portal account", no_email.pid: "no email address"}


def test_no_reminder_once_the_check_in_is_answered(fu, db, make_account):
    stay = fu.stay()
    pt = make_account("patient", patient_id=stay.pid)
    fid = fu.open_window(stay.pid, 1, closes_in_days=10)
    from respira.followup.schemas import CheckInIn

    with db.transaction() as s:
        service.record_check_in(
            s, pt.actor, fid, CheckInIn.model_validate(check_in_body()), language="en"
        )
    assert _run(db) == 0
    assert _reminders(db, fid) == []


def test_the_reminder_job_runs_with_the_other_jobs(fu, db, make_account):
    from respira.app import jobs

    stay = fu.stay()
    make_account("patient", patient_id=stay.pid)
    fu.open_window(stay.pid, 1, closes_in_days=10)
    assert jobs.run_once(db)["followup.reminders"] == 1
