"""Quotes: priced from a price list for a patient (from their approved course, from a
provisional plan before there is one, or from lines alone), with the patient's severity
and comorbidities; sent to the patient by email; accepted (by the patient in the portal
or by a coordinator who records how), declined, or re-issued as the next version.

- A quote number belongs to one patient (1, 2, ...); re-issuing makes its next version
  and marks the version before it ``superseded``. An accepted quote is final: it is
  not re-issued (its invoice, if any, is corrected by a credit note).
- A quote is valid to ``valid_until`` (default 30 days, never beyond its price list's
  validity). A draft or sent quote past that day is ``expired`` (derived from the date
  on the clinic's calendar, not stored).
- Only a sent quote that has not expired is accepted; anything else is 409 with the
  reason (``texts.refusal``). The patient never sees a draft.
- Severity and comorbidities are the coordinator's, as given; the builder proposes
  them from the record: the severity by the GINA treatment step before treatment
  (``science.diagnosis_codes.severity_by_step``, clinical.md §2.4), and comorbidity
  categories from the newest screening findings (unstable cardiac disease or heart
  failure NYHA II–IV: cardiovascular; dialysis or eGFR below 60 mL/min/1.73 m², the
  KDIGO 2012 threshold of chronic kidney disease, G3a–G5: renal; hepatic impairment:
  hepatic). Only the category names reach the quote.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from respira.diagnostics import service as diagnostics_service
from respira.kit import i18n, records
from respira.kit.actors import Actor, Role, require_role
from respira.kit.clinic_time import clinic_today
from respira.kit.config import get_settings
from respira.kit.db import utcnow
from respira.kit.errors import Conflict, InvalidInput, NotFound
from respira.kit.marks import N_
from respira.kit.patient_rows import rows_of_patient
from respira.kit.rows import from_row
from respira.kit.texts import Msg, gettext_in, paragraphs, patient_language
from respira.kit.trail import Trail
from respira.mail import service as mail_service
from respira.patients import service as patients_service
from respira.portal import service as portal_service
from respira.protocols import service as protocols_service
from respira.quotes import money, pricing, texts
from respira.quotes.catalogue import VALID_DAYS
from respira.quotes.models import Invoice, PriceList, Quote, QuoteLine
from respira.quotes.price_lists import for_quote, tariff
from respira.quotes.roles import (
    ACCEPT_ROLES,
    DISCOUNT_GIVERS,
    READ_ROLES,
    STAFF_READ_ROLES,
    WRITE_ROLES,
)
from respira.quotes.schemas import (
    AcceptIn,
    DeclineIn,
    Proposal,
    ProvisionalPlanIn,
    QuoteIn,
    QuoteLineOut,
    QuoteOut,
)
from respira.science.diagnosis_codes import severity_by_step
from respira.screening import service as screening_service

TRAIL = Trail("quote")
EMAIL_KIND = "quotes.sent"
LINK_PURPOSE = "quotes.quote"
LINK_VALID_HOURS = 72
# Heart failure classes that count as cardiovascular disease for the surcharge.
NYHA_SYMPTOMATIC = ("II", "III", "IV")
# KDIGO 2012: GFR categories G3a to G5 (below 60 mL/min/1.73 m²) are chronic kidney disease.
EGFR_CKD_BELOW = 60.0


def reference(patient_id: int, number: int) -> str:
    return f"Q-{patient_id}-{number}"


def my_quote_path(quote_id: int) -> str:
    return f"/my/quotes/{quote_id}"


# --- reading --------------------------------------------------------------------------------


def state_of(row: Quote, today: dt.date) -> str:
    if row.status in ("draft", "sent") and row.valid_until < today:
        return "expired"
    return row.status


def _newer_version(session: Session, row: Quote) -> Quote | None:
    return session.scalars(select(Quote).where(Quote.supersedes_id == row.id)).first()


def quote_out(session: Session, row: Quote, today: dt.date | None = None) -> QuoteOut:
    today = today or clinic_today()
    cur = row.currency
    state = state_of(row, today)
    newer = _newer_version(session, row)
    invoice = session.scalars(select(Invoice).where(Invoice.quote_id == row.id)).first()
    version = session.scalar(select(PriceList.version).where(PriceList.id == row.price_list_id))
    why = texts.refusal(
        state,
        valid_until=row.valid_until.isoformat(),
        newer_version=newer.version if newer else None,
    )
    return from_row(
        QuoteOut,
        row,
        reference=reference(row.patient_id, row.number),
        status=state,
        price_list_version=version or 0,
        comorbidities=list(row.comorbidities),
        lines=[
            from_row(
                QuoteLineOut,
                line,
                unit_price=None
                if line.unit_price_minor is None
                else money.text(line.unit_price_minor, cur),
                amount=money.text(line.amount_minor, cur),
            )
            for line in row.lines
        ],
        total=money.text(row.total_minor, cur),
        superseded_by_id=newer.id if newer else None,
        created_by=row.created_by_name,
        sent_by=row.sent_by_name,
        accepted_by=row.accepted_by_name,
        declined_by=row.declined_by_name,
        invoice_id=invoice.id if invoice else None,
        invoice_number=invoice.number if invoice else None,
        acceptable=why is None,
        not_acceptable_because=why,
    )


def _hidden(actor: Actor, row: Quote) -> bool:
    """A patient sees their own quotes once sent; a draft is hidden as a retracted
    record is."""
    return records.hidden_from(actor, row.patient_id, row.status == "draft")


def load_quote(session: Session, actor: Actor, quote_id: int, *, lock: bool = False) -> Quote:
    row = records.lock_row(session, Quote, quote_id) if lock else session.get(Quote, quote_id)
    if row is None or _hidden(actor, row):
        raise NotFound("no such quote")
    return row


def get_quote(session: Session, actor: Actor, quote_id: int) -> QuoteOut:
    require_role(actor, READ_ROLES)
    return quote_out(session, load_quote(session, actor, quote_id))


def list_quotes(session: Session, actor: Actor, patient_id: int) -> list[QuoteOut]:
    """The patient's quotes, newest number first and, within a number, newest version
    first (a patient: theirs, without drafts)."""
    require_role(actor, READ_ROLES)
    patients_service.get_visible(session, actor, patient_id)
    rows = rows_of_patient(session, Quote, patient_id, Quote.number.desc(), Quote.version.desc())
    today = clinic_today()
    return [quote_out(session, r, today) for r in rows if not _hidden(actor, r)]


def accepted_quotes(session: Session, actor: Actor, patient_id: int) -> list[QuoteOut]:
    """The patient's accepted quotes (a stay is booked against one of them; its
    booking issues the quote's invoice)."""
    return [q for q in list_quotes(session, actor, patient_id) if q.status == "accepted"]


def recent_quotes(
    session: Session, actor: Actor, *, state: str | None = None, limit: int = 200
) -> list[QuoteOut]:
    """The newest quotes of every patient (the staff's list), of one state if asked."""
    require_role(actor, STAFF_READ_ROLES)
    newest_first = select(Quote).order_by(Quote.created_at.desc(), Quote.id.desc())
    rows = session.scalars(newest_first.limit(1000))
    today = clinic_today()
    out = []
    for row in rows:
        if state is None or state_of(row, today) == state:
            out.append(quote_out(session, row, today))
        if len(out) >= limit:
            break
    return out


# --- what the builder proposes ----------------------------------------------------------------


def _course_plan(session: Session, actor: Actor, patient_id: int, course_id: int) -> pricing.Plan:
    try:
        course = protocols_service.get_course(session, actor, course_id)
    except NotFound:
        raise InvalidInput({"course_id": "no such course"}) from None
    if course.patient_id != patient_id:
        raise InvalidInput({"course_id": "is another patient's course"})
    if course.status != "approved":
        raise InvalidInput(
            {
                "course_id": f"course {course.number} version {course.version} is "
                f"{course.status}: a quote is made from an approved course, or from a "
                "provisional plan"
            }
        )
    return pricing.Plan(
        source=course.source,
        infusion_doses=tuple(i.dose_million_cells_per_kg for i in course.infusions),
        nebulisations=len(course.nebulisations),
        supporting={s.modality: s.count for s in course.supporting},
        stay_days=course.stay_days,
    )


def _provisional_plan(plan: ProvisionalPlanIn) -> pricing.Plan:
    return pricing.Plan(
        source=plan.source,
        infusion_doses=(plan.dose_million_cells_per_kg,) * plan.infusions,
        nebulisations=plan.nebulisations,
        supporting={str(m): n for m, n in plan.supporting.items()},
        stay_days=plan.stay_days,
    )


def record_severity(session: Session, patient_id: int) -> tuple[str | None, str | None]:
    """The severity by the newest GINA treatment step before treatment, and where it
    was recorded (None when diagnostics hold no treatment step)."""
    step = diagnostics_service.clinical_snapshot(session, patient_id).gina_step
    if step is None:
        return None, None
    return severity_by_step(step.value), f"GINA step {step.value}, {step.on.isoformat()}"


def record_comorbidities(session: Session, patient_id: int) -> tuple[list[str], str | None]:
    """The comorbidity categories the newest screening findings show, and their date."""
    found = screening_service.newest_findings(session, patient_id)
    if found is None:
        return [], None
    categories = []
    if found.unstable_cardiac_disease == "yes" or found.heart_failure_nyha in NYHA_SYMPTOMATIC:
        categories.append("cardiovascular")
    egfr = found.egfr_ml_min_1_73m2
    if found.dialysis == "yes" or (egfr is not None and egfr < EGFR_CKD_BELOW):
        categories.append("renal")
    if found.hepatic_impairment == "yes":
        categories.append("hepatic")
    return categories, f"screening findings of {found.assessed_on.isoformat()}"


def proposal(
    session: Session,
    actor: Actor,
    patient_id: int,
    *,
    course_id: int | None = None,
    plan: ProvisionalPlanIn | None = None,
    price_list_id: int | None = None,
    currency: str | None = None,
    room_type: str | None = None,
) -> Proposal:
    """What the builder starts from: the price list in force, the lines the course (or
    the provisional plan) proposes, and the severity and comorbidities of the record."""
    require_role(actor, WRITE_ROLES)
    patients_service.get_visible(session, actor, patient_id)
    row = for_quote(session, price_list_id, currency, clinic_today())
    lines: list[tuple[str, Decimal]] = []
    if course_id is not None:
        the_plan = _course_plan(session, actor, patient_id, course_id)
        lines = pricing.propose(tariff(row), the_plan, room_type=room_type, field_name="course_id")
    elif plan is not None:
        lines = pricing.propose(
            tariff(row), _provisional_plan(plan), room_type=room_type, field_name="provisional"
        )
    severity, severity_source = record_severity(session, patient_id)
    comorbidities, comorbidity_source = record_comorbidities(session, patient_id)
    return Proposal(
        price_list_id=row.id,
        price_list_version=row.version,
        currency=row.currency,
        lines={code: money.plain(q) for code, q in lines},
        severity=severity,
        severity_source=severity_source,
        comorbidities=comorbidities,
        comorbidity_source=comorbidity_source,
    )


# --- making a quote ----------------------------------------------------------------------------


def _validity(data: QuoteIn, row: PriceList, today: dt.date) -> dt.date:
    until = data.valid_until or today + dt.timedelta(days=VALID_DAYS)
    if row.valid_until is not None and data.valid_until is None:
        until = min(until, row.valid_until)
    if until < today:
        raise InvalidInput({"valid_until": f"is in the past (today is {today.isoformat()})"})
    if row.valid_until is not None and until > row.valid_until:
        raise InvalidInput(
            {
                "valid_until": f"is after the end of price list version {row.version} "
                f"({row.valid_until.isoformat()})"
            }
        )
    return until


def _discount(
    actor: Actor, data: QuoteIn, the_tariff: pricing.Tariff
) -> tuple[pricing.Discount, str] | None:
    if data.discount is None:
        return None
    rule = the_tariff.discount(data.discount.code)
    if rule is None:
        raise InvalidInput(
            {
                "discount.code": f"price list version {the_tariff.version} has no discount "
                f"{data.discount.code!r}"
            }
        )
    if actor.role not in DISCOUNT_GIVERS[rule.given_by] and actor.role != "system":
        raise InvalidInput({"discount.code": f"the discount {rule.code} is given by an admin only"})
    return rule, data.discount.reason


def _priced(
    session: Session, actor: Actor, patient_id: int, data: QuoteIn, today: dt.date
) -> tuple[PriceList, str, list[pricing.Line], str, dt.date]:
    """The price list, the basis, the priced lines, the severity and the validity of a
    quote (refused, naming the field, when something does not fit)."""
    problems = data.problems()
    if problems:
        raise InvalidInput(problems)
    row = for_quote(session, data.price_list_id, data.currency, today)
    the_tariff = tariff(row)
    given = [(line.code, line.quantity) for line in data.lines]
    if data.course_id is not None:
        basis = "course"
        plan = _course_plan(session, actor, patient_id, data.course_id)
        proposed = pricing.propose(
            the_tariff, plan, room_type=data.room_type, field_name="course_id"
        )
        lines = pricing.merge(proposed, given)
    elif data.provisional is not None:
        basis = "provisional"
        proposed = pricing.propose(
            the_tariff,
            _provisional_plan(data.provisional),
            room_type=data.room_type,
            field_name="provisional",
        )
        lines = pricing.merge(proposed, given)
    else:
        basis = "lines"
        lines = [(code, q) for code, q in given if q > 0]
    severity = data.severity or record_severity(session, patient_id)[0]
    if severity is None:
        raise InvalidInput(
            {"severity": N_("give the severity: the record holds no GINA treatment step to read")}
        )
    priced = pricing.price(
        the_tariff,
        lines,
        severity=severity,
        comorbidities=data.comorbidities,
        discount=_discount(actor, data, the_tariff),
    )
    return row, basis, priced, severity, _validity(data, row, today)


def _store(
    session: Session,
    actor: Actor,
    *,
    patient_id: int,
    number: int,
    version: int,
    data: QuoteIn,
    supersedes_id: int | None,
) -> Quote:
    today = clinic_today()
    price_list, basis, lines, severity, valid_until = _priced(
        session, actor, patient_id, data, today
    )
    row = Quote(
        patient_id=patient_id,
        number=number,
        version=version,
        status="draft",
        price_list_id=price_list.id,
        currency=price_list.currency,
        basis=basis,
        course_id=data.course_id,
        plan=data.provisional.model_dump(mode="json") if data.provisional else None,
        room_type=data.room_type,
        severity=severity,
        comorbidities=list(data.comorbidities),
        discount_code=data.discount.code if data.discount else None,
        valid_until=valid_until,
        total_minor=pricing.total(lines),
        notes=data.notes,
        supersedes_id=supersedes_id,
        created_by_id=actor.user_id,
        created_by_name=actor.name,
        lines=[
            QuoteLine(
                position=n,
                price_list_version=price_list.version,
                **{
                    **asdict(line),
                    "quantity": None if line.quantity is None else money.plain(line.quantity),
                    "rate": None if line.rate is None else money.plain(line.rate),
                },
            )
            for n, line in enumerate(lines, start=1)
        ],
    )
    with records.flush_or_conflict(
        session, "another quote of this patient was saved at the same moment; reload and try again"
    ):
        session.add(row)
    return row


def create_quote(session: Session, actor: Actor, patient_id: int, data: QuoteIn) -> QuoteOut:
    """A new quote (the patient's next number, version 1), as a draft."""
    require_role(actor, WRITE_ROLES)
    patients_service.get_for_update(session, actor, patient_id)
    newest = session.scalar(select(func.max(Quote.number)).where(Quote.patient_id == patient_id))
    row = _store(
        session,
        actor,
        patient_id=patient_id,
        number=(newest or 0) + 1,
        version=1,
        data=data,
        supersedes_id=None,
    )
    out = quote_out(session, row)
    TRAIL.record(session, actor, row.id, "create", after=out.model_dump(mode="json"))
    session.commit()
    return out


def reissue_quote(session: Session, actor: Actor, quote_id: int, data: QuoteIn) -> QuoteOut:
    """The next version of a quote, as a draft; the version before it is superseded
    (it can no longer be accepted). An accepted quote is final."""
    require_role(actor, WRITE_ROLES)
    current = load_quote(session, actor, quote_id)
    patients_service.get_for_update(session, actor, current.patient_id)
    previous = load_quote(session, actor, quote_id, lock=True)
    if previous.status == "superseded":
        newer = _newer_version(session, previous)
        raise Conflict(
            f"this version was already replaced by version {newer.version if newer else '?'}: "
            "re-issue the newest version"
        )
    if previous.status == "accepted":
        raise Conflict("an accepted quote is final; make a new quote instead")
    row = _store(
        session,
        actor,
        patient_id=previous.patient_id,
        number=previous.number,
        version=previous.version + 1,
        data=data,
        supersedes_id=previous.id,
    )
    before = previous.status
    previous.status = "superseded"
    previous.superseded_at = utcnow()
    session.flush()
    TRAIL.record(
        session,
        actor,
        previous.id,
        "supersede",
        before={"status": before},
        after={"status": "superseded", "by": row.id},
    )
    out = quote_out(session, row)
    TRAIL.record(session, actor, row.id, "create", after=out.model_dump(mode="json"))
    session.commit()
    return out


def quote_form(quote: QuoteOut) -> QuoteIn:
    """What made a quote, as the input that would make it again (the builder of its
    next version starts from it)."""
    lines = [
        {"code": line.code, "quantity": line.quantity}
        for line in quote.lines
        if line.kind == "item"
    ]
    discount = next((line for line in quote.lines if line.kind == "discount"), None)
    return QuoteIn.model_validate(
        {
            "price_list_id": None,
            "currency": quote.currency,
            "lines": lines,
            "room_type": quote.room_type,
            "severity": quote.severity,
            "comorbidities": quote.comorbidities,
            "discount": {"code": discount.code, "reason": discount.reason}
            if discount and discount.reason
            else None,
            "notes": quote.notes,
        }
    )


# --- sending, accepting, declining --------------------------------------------------------------


def _email(patient: Any, quote: Quote, link: str | None, lang: str) -> tuple[str, str]:
    gettext = gettext_in(lang)
    settings = get_settings()
    params = {
        "name": patient.first_name,
        "clinic": settings.clinic_name,
        "reference": reference(quote.patient_id, quote.number),
        "version": quote.version,
        "valid_until": i18n.fmt_date(quote.valid_until, lang),
        "hours": LINK_VALID_HOURS,
        "link": link or "",
        "login": f"{settings.public_base_url}/login?next={my_quote_path(quote.id)}",
    }
    reach = texts.EMAIL_LINK if link else texts.EMAIL_LOGIN
    lines = [*texts.EMAIL_OPENING, reach, *texts.EMAIL_CLOSING]
    return gettext(texts.EMAIL_SUBJECT) % params, paragraphs(gettext, lines, params)


def send_quote(session: Session, actor: Actor, quote_id: int) -> QuoteOut:
    """Email the patient (in their language, with a one-time sign-in link to the quote
    in the portal; the amounts stay in the portal) and mark the quote sent. Sending a
    sent quote again emails it again."""
    require_role(actor, WRITE_ROLES)
    current = load_quote(session, actor, quote_id)
    patient = patients_service.get_for_update(session, actor, current.patient_id)
    row = load_quote(session, actor, quote_id, lock=True)
    state = state_of(row, clinic_today())
    if state not in ("draft", "sent"):
        raise Conflict(f"this quote is {state}: only a draft or a sent quote is sent")
    if not patient.email:
        raise InvalidInput(
            {
                "email": "the patient has no email address: add one on the patient's page "
                "before sending the quote"
            }
        )
    lang = patient_language(patient.preferred_language)
    link = portal_service.sign_in_link(
        session,
        patient.id,
        next_path=my_quote_path(row.id),
        purpose=LINK_PURPOSE,
        valid_hours=LINK_VALID_HOURS,
    )
    subject, text = _email(patient, row, link, lang)
    outbox_id = mail_service.enqueue(
        session,
        to=patient.email,
        subject=subject,
        text=text,
        kind=EMAIL_KIND,
        patient_id=patient.id,
    )
    before = {"status": row.status, "sent_at": row.sent_at}
    row.status = "sent"
    row.sent_at = utcnow()
    row.sent_by_name = actor.name
    session.flush()
    TRAIL.record(
        session,
        actor,
        row.id,
        "send",
        before=before,
        after={"status": "sent", "sent_at": row.sent_at, "outbox_id": outbox_id, "language": lang},
    )
    out = quote_out(session, row)
    session.commit()
    return out


def _refuse_unless_acceptable(row: Quote) -> None:
    """409 with the reason (a ``Msg``: the patient reads it in their language) unless the
    quote is sent, in its validity, and not replaced."""
    why = texts.refusal(
        state_of(row, clinic_today()),
        valid_until=row.valid_until.isoformat(),
        newer_version=row.version + 1,
    )
    if why is not None:
        raise Conflict(why)


def accept_quote(
    session: Session, actor: Actor, quote_id: int, data: AcceptIn | None = None
) -> QuoteOut:
    """Record the acceptance: a patient accepts their own quote in the portal (``how``
    is "portal"); staff record how they obtained it. Only a sent quote that has not
    expired and was not replaced is accepted (409 with the reason otherwise)."""
    require_role(actor, ACCEPT_ROLES)
    current = load_quote(session, actor, quote_id)
    patients_service.get_for_update(session, actor, current.patient_id)
    row = load_quote(session, actor, quote_id, lock=True)
    if actor.role == Role.PATIENT:
        how, note = "portal", None
    elif data is None:
        raise InvalidInput({"how": "say how the patient's acceptance was obtained"})
    else:
        how, note = data.how, data.note
    _refuse_unless_acceptable(row)
    row.status = "accepted"
    row.accepted_at = utcnow()
    row.accepted_by_id = actor.user_id
    row.accepted_by_name = actor.name
    row.accepted_how = how
    row.acceptance_note = note
    session.flush()
    TRAIL.record(
        session,
        actor,
        row.id,
        "accept",
        before={"status": "sent"},
        after={"status": "accepted", "how": how, "note": note, "accepted_at": row.accepted_at},
    )
    out = quote_out(session, row)
    session.commit()
    return out


def decline_quote(session: Session, actor: Actor, quote_id: int, data: DeclineIn) -> QuoteOut:
    """Record that the patient declined a quote (a draft or sent one), with the reason."""
    require_role(actor, WRITE_ROLES)
    current = load_quote(session, actor, quote_id)
    patients_service.get_for_update(session, actor, current.patient_id)
    row = load_quote(session, actor, quote_id, lock=True)
    if row.status not in ("draft", "sent"):
        raise Conflict(f"this quote is {row.status}: only a draft or a sent quote is declined")
    before = row.status
    row.status = "declined"
    row.declined_at = utcnow()
    row.declined_by_name = actor.name
    row.decline_reason = data.reason
    session.flush()
    TRAIL.record(
        session,
        actor,
        row.id,
        "decline",
        before={"status": before},
        after={"status": "declined", "reason": data.reason},
        reason=data.reason,
    )
    out = quote_out(session, row)
    session.commit()
    return out


def refusal_text(out: QuoteOut, lang: str) -> Msg | None:
    """Why the quote cannot be accepted now, as a ``Msg`` a page translates (its date
    written in the reader's language), or None. A superseded version was replaced by
    the next one (re-issuing is the only way to supersede)."""
    return texts.refusal(
        out.status, valid_until=i18n.fmt_date(out.valid_until, lang), newer_version=out.version + 1
    )
