"""Threads between a patient and the care team: who is told and how (never the content),
the queue of threads waiting with the time waiting, assignment, closing and reopening,
read markers, immutability and the audit trail."""

from __future__ import annotations

import pytest

from respira.kit import audit
from respira.kit.db import utcnow
from respira.kit.errors import Conflict, InvalidInput
from respira.messages import service
from respira.messages.schemas import AssignIn
from tests.messages.messages_helpers import H, notices, put_on_call, start, write

SUBJECT = "Chest tightness at night"
BODY = "I wake at 3 am with a tight chest twice a week."


def test_a_patient_message_tells_the_care_team_that_a_message_waits_without_its_content(
    db, patient, physician
):
    thread = start(db, patient.actor, patient.patient_id, SUBJECT, BODY)
    [notice] = notices(db, patient.patient_id)
    assert notice.to == [physician.email]  # nobody on call: every active physician
    everything = notice.subject + notice.text
    for secret in (SUBJECT, BODY, "Hanna", "Brandt", "tight"):
        assert secret not in everything
    assert f"/messages/{thread.id}" in notice.text


def test_the_notice_goes_to_the_physician_on_call_when_the_roster_has_one(
    db, patient, physician, make_account
):
    on_call = make_account("physician")
    put_on_call(db, on_call.id)
    start(db, patient.actor, patient.patient_id)
    [notice] = notices(db, patient.patient_id)
    assert notice.to == [on_call.email]


def test_a_care_team_reply_tells_the_patient_in_their_language_without_its_content(
    db, patient, physician
):
    thread = start(db, patient.actor, patient.patient_id)
    write(db, physician.actor, thread.id, "Please use your reliever and measure your peak flow.")
    told = notices(db, patient.patient_id)[-1]
    assert told.to == [patient.email]
    assert told.subject == "Eine neue Nachricht von Ihrem Behandlungsteam"
    assert "Guten Tag Hanna Brandt," in told.text
    assert "peak flow" not in told.text and SUBJECT not in told.text
    assert f"/my/messages/{thread.id}" in told.text


def test_a_second_reply_before_the_patient_read_the_first_sends_no_second_email(
    db, patient, physician
):
    thread = start(db, patient.actor, patient.patient_id)
    write(db, physician.actor, thread.id, "First answer.")
    write(db, physician.actor, thread.id, "And one more thing.")
    assert [n.to for n in notices(db, patient.patient_id)] == [[physician.email], [patient.email]]


def test_the_waiting_time_starts_at_the_first_unanswered_patient_message(db, patient, physician):
    t0 = utcnow() - 5 * H
    thread = start(db, patient.actor, patient.patient_id, at=t0)
    write(db, patient.actor, thread.id, "It got worse tonight.", at=t0 + 2 * H)
    [row] = _queue(db, physician)
    assert row.thread.waiting_since == t0
    assert 5 * 60 - 1 <= row.waiting_minutes <= 5 * 60 + 1
    assert len(notices(db, patient.patient_id)) == 1  # told once, when it started waiting
    write(db, physician.actor, thread.id, "Please come to the clinic today.")
    assert _queue(db, physician) == []


def _queue(db, who, show="all"):
    with db.session() as s:
        return service.queue(s, who.actor, show=show)


def test_the_queue_lists_open_waiting_threads_the_longest_waiting_first(
    db, patient, physician, make_account
):
    other = make_account("patient")
    now = utcnow()
    recent = start(db, patient.actor, patient.patient_id, "Recent", at=now - 0.5 * H)
    oldest = start(db, other.actor, other.patient_id, "Oldest", at=now - 26 * H)
    answered = start(db, patient.actor, patient.patient_id, "Answered", at=now - 30 * H)
    write(db, physician.actor, answered.id, "Done.")
    closed = start(db, other.actor, other.patient_id, "Closed", at=now - 40 * H)
    with db.transaction() as s:
        service.set_status(s, physician.actor, closed.id, "closed", closed.version)
    rows = _queue(db, physician)
    assert [r.thread.subject for r in rows] == ["Oldest", "Recent"]
    assert [r.thread.id for r in rows] == [oldest.id, recent.id]
    assert rows[0].waiting_minutes >= 26 * 60 - 1
    assert service.waiting_parts(rows[0].waiting_minutes)[:2] == (1, 2)
    assert rows[0].patient_name.startswith("Lindqvist, Pat")


def test_the_queue_shows_threads_assigned_to_me_or_to_nobody(db, patient, physician, make_account):
    nurse = make_account("nurse")
    mine = start(db, patient.actor, patient.patient_id, "Mine")
    start(db, patient.actor, patient.patient_id, "Nobody's")
    with db.transaction() as s:
        service.assign(s, physician.actor, mine.id, AssignIn(assignee_id=nurse.id), mine.version)
    assert [r.thread.subject for r in _queue(db, nurse, "mine")] == ["Mine"]
    assert [r.thread.subject for r in _queue(db, nurse, "unassigned")] == ["Nobody's"]
    with pytest.raises(InvalidInput), db.session() as s:
        service.queue(s, nurse.actor, show="everything")


def test_assigning_to_the_physician_on_call_tells_them_and_is_audited(
    db, patient, physician, make_account
):
    on_call = make_account("physician")
    thread = start(db, patient.actor, patient.patient_id)
    put_on_call(db, on_call.id)
    with db.transaction() as s:
        out = service.assign(s, physician.actor, thread.id, AssignIn(on_call=True), thread.version)
    assert (out.assignee_id, out.version) == (on_call.id, thread.version + 1)
    assert notices(db, patient.patient_id)[-1].to == [on_call.email]
    with db.session() as s:
        [record] = [
            r for r in audit.history(s, "message_thread", thread.id) if r.action == "assign"
        ]
    assert record.actor_id == physician.id


def test_assignment_is_refused_for_nobody_on_call_a_lab_account_and_a_stale_version(
    db, patient, physician, make_account
):
    lab = make_account("lab")
    thread = start(db, patient.actor, patient.patient_id)
    with pytest.raises(InvalidInput) as none_on_call, db.transaction() as s:
        service.assign(s, physician.actor, thread.id, AssignIn(on_call=True), thread.version)
    assert "on_call" in none_on_call.value.errors
    with pytest.raises(InvalidInput) as not_care_team, db.transaction() as s:
        service.assign(s, physician.actor, thread.id, AssignIn(assignee_id=lab.id), thread.version)
    assert "assignee_id" in not_care_team.value.errors
    with db.transaction() as s:
        service.set_status(s, physician.actor, thread.id, "closed", thread.version)
    with pytest.raises(Conflict), db.transaction() as s:
        service.assign(
            s, physician.actor, thread.id, AssignIn(assignee_id=physician.id), thread.version
        )


def test_a_new_patient_message_reopens_a_closed_thread(db, patient, physician):
    thread = start(db, patient.actor, patient.patient_id)
    write(db, physician.actor, thread.id, "Answered.")
    with db.transaction() as s:
        closed = service.set_status(s, physician.actor, thread.id, "closed", thread.version + 1)
    assert closed.status == "closed" and _queue(db, physician) == []
    again = write(db, patient.actor, thread.id, "It came back.")
    assert again.status == "open" and again.closed_at is None
    assert [r.thread.id for r in _queue(db, physician)] == [thread.id]


def test_read_markers_are_kept_per_side(db, patient, physician):
    thread = start(db, patient.actor, patient.patient_id)
    with db.session() as s:
        assert service.threads_for_patient(s, physician.actor, patient.patient_id)[0].unread
        assert not service.threads_for_patient(s, patient.actor, patient.patient_id)[0].unread
    with db.transaction() as s:
        opened = service.open_thread(s, physician.actor, thread.id)
    assert opened.unread is False and opened.version == thread.version  # reading is no change
    write(db, physician.actor, thread.id, "Answer.")
    with db.session() as s:
        assert service.threads_for_patient(s, patient.actor, patient.patient_id)[0].unread
    with db.transaction() as s:
        service.open_thread(s, patient.actor, thread.id)
    with db.session() as s:
        assert not service.threads_for_patient(s, patient.actor, patient.patient_id)[0].unread


def test_every_message_is_audited_and_kept_as_written(db, patient, physician):
    thread = start(db, patient.actor, patient.patient_id, SUBJECT, BODY)
    write(db, physician.actor, thread.id, "Answer.")
    with db.session() as s:
        detail = service.get_thread(s, physician.actor, thread.id)
        audited = {m.id: audit.history(s, "thread_message", m.id)[0].after for m in detail.messages}
    assert [m.body for m in detail.messages] == [BODY, "Answer."]
    assert [m.side for m in detail.messages] == ["patient", "care_team"]
    assert all(BODY in a or "Answer." in a for a in audited.values() if a)
