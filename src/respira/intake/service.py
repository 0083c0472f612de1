"""Use cases of the intake step: a member of the public submits a request; a
coordinator triages it and converts it into a patient.

Triage is a small state machine (``TRANSITIONS``): a request is ``new``, the
coordinator ``contacted`` the person, ``scheduled`` a consultation, and the request
ends either ``converted`` (a patient record was created from it, and the two are
linked) or ``declined`` (with the reason). The two end states are final. A request
becomes ``converted`` only through ``convert_to_patient``, which creates the patient,
links it and changes the status in one transaction. Every change is audited and
edits use optimistic locking (a stale version answers 409).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from respira.intake import ratelimit
from respira.intake.models import ConsultationRequest
from respira.intake.roles import TRIAGE_ROLES as TRIAGE_ROLES
from respira.intake.schemas import (
    ConsultationRequestIn,
    ConsultationRequestOut,
    ConsultationRequestPage,
    ConsultationRequestPatch,
    ConversionIn,
    ConversionOut,
)
from respira.kit import audit, events, records
from respira.kit.actors import Actor, require_role
from respira.kit.db import utcnow
from respira.kit.errors import Conflict, InvalidInput, NotFound
from respira.kit.marks import N_
from respira.kit.texts import Msg
from respira.kit.web.forms import human_message
from respira.patients import service as patients_service
from respira.patients.schemas import PatientIn, PatientOut
from respira.patients.service import Patient

MAX_PAGE_SIZE = 100
RATE_SCOPE = "consultation"
ENTITY = "consultation_request"

OPEN_STATUSES: tuple[str, ...] = ("new", "contacted", "scheduled")
FINAL_STATUSES: tuple[str, ...] = ("converted", "declined")
# A status as a refusal names it ("a declined request cannot ..."), for the pages to
# translate (the API answers the English words).
STATUS_WORDS: dict[str, str] = {
    "new": N_("new"),
    "contacted": N_("contacted"),
    "scheduled": N_("scheduled"),
    "converted": N_("converted"),
    "declined": N_("declined"),
}


def _status(status: str) -> Msg:
    return Msg(STATUS_WORDS.get(status, status))


# Allowed status changes. "converted" is reached only by converting the request.
TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset({"contacted", "scheduled", "declined", "converted"}),
    "contacted": frozenset({"scheduled", "declined", "converted"}),
    "scheduled": frozenset({"declined", "converted"}),
    "converted": frozenset(),
    "declined": frozenset(),
}

_SNAPSHOT_FIELDS = (
    "kind",
    "name",
    "email",
    "phone",
    "country",
    "preferred_language",
    "preferred_contact_time",
    "description",
    "consent",
    "consent_text_version",
    "consent_language",
    "consent_given_at",
    "channel",
    "status",
    "decline_reason",
    "notes",
    "patient_id",
)


def snapshot(req: ConsultationRequest) -> dict[str, Any]:
    return {f: getattr(req, f) for f in _SNAPSHOT_FIELDS}


def can_transition(current: str, new: str) -> bool:
    return new in TRANSITIONS.get(current, frozenset())


# --- the public side --------------------------------------------------------------


@dataclass(frozen=True)
class RateLimit:
    """Who is submitting (the keyed hash of their address) and the limit for them."""

    key: str
    limit: int
    window_s: int


def check_rate(session: Session, rate: RateLimit, now: dt.datetime | None = None) -> None:
    ratelimit.check(
        session,
        scope=RATE_SCOPE,
        key=rate.key,
        limit=rate.limit,
        window_s=rate.window_s,
        now=now or utcnow(),
    )


def submit_request(
    session: Session,
    data: ConsultationRequestIn,
    *,
    rate: RateLimit,
    channel: str,
    language: str,
    now: dt.datetime | None = None,
) -> ConsultationRequestOut:
    """Store a request from the public (already checked against the rate limit in
    this transaction with ``check_rate``) and count it toward the limit. ``language``
    is the language the form and its consent text were shown in."""
    now = now or utcnow()
    req = add_request(session, Actor.public(), data, channel=channel, language=language, now=now)
    ratelimit.count(session, scope=RATE_SCOPE, key=rate.key, window_s=rate.window_s, now=now)
    session.commit()
    return ConsultationRequestOut.model_validate(req)


def swallow_honeypot(session: Session, rate: RateLimit, now: dt.datetime | None = None) -> None:
    """A submission with the honeypot filled in (a robot): store nothing, but count it,
    so that a robot also meets the rate limit."""
    now = now or utcnow()
    ratelimit.count(session, scope=RATE_SCOPE, key=rate.key, window_s=rate.window_s, now=now)
    session.commit()


def add_request(
    session: Session,
    actor: Actor,
    data: ConsultationRequestIn,
    *,
    channel: str,
    language: str,
    now: dt.datetime,
) -> ConsultationRequest:
    """Insert a request in the caller's transaction (also used by the demo clinic)."""
    req = ConsultationRequest(
        **data.model_dump(exclude={"preferred_language"}),
        preferred_language=data.preferred_language or language,
        consent_language=language,
        consent_given_at=now,
        channel=channel,
        status="new",
        created_at=now,
        updated_at=now,
    )
    session.add(req)
    session.flush()
    audit.record(
        session, actor, entity_type=ENTITY, entity_id=req.id, action="create", after=snapshot(req)
    )
    return req


# --- triage -------------------------------------------------------------------------


def _load(session: Session, request_id: int) -> ConsultationRequest:
    req = session.get(ConsultationRequest, request_id)
    if req is None:
        raise NotFound(N_("no such consultation request"))
    return req


def get_request(session: Session, actor: Actor, request_id: int) -> ConsultationRequestOut:
    require_role(actor, TRIAGE_ROLES)
    return ConsultationRequestOut.model_validate(_load(session, request_id))


def request_for_patient(session: Session, patient_id: int) -> ConsultationRequestOut | None:
    """The request a patient was converted from, if any (for the patient's page; the
    caller has already applied the patient's visibility rule)."""
    req = session.scalar(
        select(ConsultationRequest).where(ConsultationRequest.patient_id == patient_id)
    )
    return None if req is None else ConsultationRequestOut.model_validate(req)


@dataclass(frozen=True)
class QueueFilter:
    statuses: tuple[str, ...] = ()
    country: str | None = None
    language: str | None = None


def list_requests(
    session: Session, actor: Actor, flt: QueueFilter, page: int, page_size: int
) -> ConsultationRequestPage:
    """The triage queue, newest first. ``language`` matches the preferred language and
    its regional variants (``pt`` finds ``pt`` and ``pt-BR``)."""
    require_role(actor, TRIAGE_ROLES)
    page = max(page, 1)
    page_size = min(max(page_size, 1), MAX_PAGE_SIZE)
    conds: list[Any] = []
    if flt.statuses:
        conds.append(ConsultationRequest.status.in_(flt.statuses))
    if flt.country:
        conds.append(ConsultationRequest.country == flt.country)
    if flt.language:
        conds.append(
            or_(
                ConsultationRequest.preferred_language == flt.language,
                ConsultationRequest.preferred_language.like(flt.language + "-%"),
            )
        )
    total = session.scalar(select(func.count(ConsultationRequest.id)).where(*conds)) or 0
    rows = session.scalars(
        select(ConsultationRequest)
        .where(*conds)
        .order_by(ConsultationRequest.created_at.desc(), ConsultationRequest.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    return ConsultationRequestPage(
        items=[ConsultationRequestOut.model_validate(r) for r in rows],
        total=total,
        page=page,
        page_size=page_size,
        pages=max(1, math.ceil(total / page_size)),
    )


# Why a request is flagged in triage as a possible duplicate.
SAME_CONTACT_AS_REQUEST = "request"
SAME_CONTACT_AS_PATIENT = "patient"


def contact_duplicates(
    session: Session, requests: Sequence[ConsultationRequestOut]
) -> dict[int, frozenset[str]]:
    """The requests (of a page of the queue) whose phone or email is also another
    request's (``"request"``) or a registered patient's (``"patient"``): phones compared
    in E.164 form (a national number with the request's country), emails without case.
    Two queries for the page, whatever its length."""
    emails = {e for r in requests if (e := patients_service.email_key(r.email))}
    phones: set[str] = set()
    for r in requests:
        phones |= patients_service.phone_forms(r.phone, r.country)
    if not emails and not phones:
        return {}

    def keys(email: str | None, phone: str | None, country: str | None) -> set[str]:
        found = {f"@{e}"} if (e := patients_service.email_key(email)) else set()
        return found | ({f"#{p}"} if (p := patients_service.e164(phone, country)) else set())

    def contact_match(email_col: Any, phone_col: Any) -> Any:
        return or_(
            func.lower(email_col).in_(sorted(emails)) if emails else sa.false(),
            phone_col.in_(sorted(phones)) if phones else sa.false(),
        )

    Req = ConsultationRequest
    holders: dict[str, set[tuple[str, int]]] = {}
    other_requests = session.execute(
        select(Req.id, Req.email, Req.phone, Req.country).where(contact_match(Req.email, Req.phone))
    )
    registered = session.execute(
        select(Patient.id, Patient.email, Patient.phone, Patient.country).where(
            contact_match(Patient.email, Patient.phone)
        )
    )
    for kind, rows in (
        (SAME_CONTACT_AS_REQUEST, other_requests),
        (SAME_CONTACT_AS_PATIENT, registered),
    ):
        for row in rows:
            for key in keys(row.email, row.phone, row.country):
                holders.setdefault(key, set()).add((kind, row.id))
    flags: dict[int, frozenset[str]] = {}
    for r in requests:
        found = {
            kind
            for key in keys(r.email, r.phone, r.country)
            for kind, holder in holders.get(key, ())
            if not (kind == SAME_CONTACT_AS_REQUEST and holder == r.id)
            and not (kind == SAME_CONTACT_AS_PATIENT and holder == r.patient_id)
        }
        if found:
            flags[r.id] = frozenset(found)
    return flags


def status_counts(session: Session, actor: Actor) -> dict[str, int]:
    require_role(actor, TRIAGE_ROLES)
    rows = session.execute(
        select(ConsultationRequest.status, func.count(ConsultationRequest.id)).group_by(
            ConsultationRequest.status
        )
    ).all()
    found = {status: n for status, n in rows}
    return {s: found.get(s, 0) for s in TRANSITIONS}


def filter_options(session: Session, actor: Actor) -> tuple[list[str], list[str]]:
    """The countries and preferred languages that occur in the queue."""
    require_role(actor, TRIAGE_ROLES)
    countries = session.scalars(
        select(ConsultationRequest.country).distinct().order_by(ConsultationRequest.country)
    ).all()
    languages = session.scalars(
        select(ConsultationRequest.preferred_language)
        .distinct()
        .order_by(ConsultationRequest.preferred_language)
    ).all()
    return list(countries), list(languages)


def update_request(
    session: Session,
    actor: Actor,
    request_id: int,
    patch: ConsultationRequestPatch,
    expected_version: int,
) -> ConsultationRequestOut:
    """Change the status (an allowed transition) and/or the notes."""
    require_role(actor, TRIAGE_ROLES)
    req = _load(session, request_id)
    records.check_version(req.version, expected_version, "request")
    changes = patch.model_dump(exclude_unset=True)
    new_status = changes.get("status")
    if new_status is not None and new_status != req.status:
        if new_status == "converted" and can_transition(req.status, "converted"):
            raise InvalidInput(
                {
                    "status": N_(
                        "a request becomes converted by converting it into a patient "
                        "(POST /api/v1/consultation-requests/{id}/convert)"
                    )
                }
            )
        if not can_transition(req.status, new_status):
            words = {"status": _status(req.status), "new_status": _status(new_status)}
            if req.status in FINAL_STATUSES:
                raise Conflict(
                    Msg(
                        N_("a %(status)s request cannot become %(new_status)s (it is final)"),
                        **words,
                    )
                )
            raise Conflict(Msg(N_("a %(status)s request cannot become %(new_status)s"), **words))
    elif new_status is not None and "decline_reason" in changes:
        raise Conflict(
            Msg(
                N_("the request is already %(status)s; the reason cannot be changed"),
                status=_status(req.status),
            )
        )
    if apply_change(session, actor, req, changes):
        session.commit()
    return ConsultationRequestOut.model_validate(req)


def apply_change(
    session: Session, actor: Actor, req: ConsultationRequest, changes: dict[str, Any]
) -> bool:
    """Apply already-checked changes in the caller's transaction and audit them.
    Returns False when nothing changed (no new version, no audit record)."""
    before = snapshot(req)
    for field, value in changes.items():
        setattr(req, field, value)
    old, new = audit.diff(before, snapshot(req))
    if not new:
        return False
    req.updated_at = utcnow()
    records.flush(session, "the request was changed by someone else at the same moment; reload it")
    audit.record(
        session,
        actor,
        entity_type=ENTITY,
        entity_id=req.id,
        action="status" if "status" in new else "update",
        before=old,
        after=new,
        reason=req.decline_reason if new.get("status") == "declined" else None,
    )
    return True


# --- conversion into a patient ------------------------------------------------------

# Particles that belong to the family name ("Ludwig van Beethoven", "Fatima Al Mansouri").
_PARTICLES = frozenset(
    {"van", "von", "der", "den", "de", "del", "della", "di", "da", "dos", "das", "du",
     "la", "le", "ter", "ten", "zu", "af", "al", "el", "bin", "ibn", "bint", "abu"}
)  # fmt: skip
# Russian and other East Slavic patronymics (Cyrillic and common transliterations).
_PATRONYMIC = re.compile(
    r"(вич|вна|ична|инична|оглы|кызы|vich|vna|ovna|evna|ichna|ich)$", re.IGNORECASE
)


def split_name(name: str) -> tuple[str, str]:
    """A suggestion for first and last name from the single name a person typed; the
    coordinator corrects it on the conversion form.

    The last word is taken as the family name, with the particles before it ("Anna
    van der Berg" → "Anna", "van der Berg"; "Fatima Al Mansouri" → "Fatima", "Al
    Mansouri"). An East Slavic name ending in a patronymic is read family name first,
    as it is commonly written ("Иванов Иван Иванович" → "Иван Иванович", "Иванов");
    written the other way round ("Иван Иванович Иванов") the general rule applies.
    """
    words = name.split()
    if not words:
        return "", ""
    if len(words) == 1:
        return words[0], ""
    if len(words) == 3 and _PATRONYMIC.search(words[2]) and not _PATRONYMIC.search(words[1]):
        return " ".join(words[1:]), words[0]
    i = len(words) - 1
    while i > 1 and words[i - 1].casefold() in _PARTICLES:
        i -= 1
    return " ".join(words[:i]), " ".join(words[i:])


def carried_over(req: ConsultationRequest | ConsultationRequestOut) -> dict[str, Any]:
    """The patient fields a request already answers."""
    first, last = split_name(req.name)
    return {
        "first_name": first,
        "last_name": last,
        "country": req.country,
        "preferred_language": req.preferred_language,
        "email": req.email,
        "phone": req.phone,
    }


def conversion_form_values(session: Session, actor: Actor, request_id: int) -> dict[str, Any]:
    require_role(actor, TRIAGE_ROLES)
    return carried_over(_load(session, request_id))


def patient_in_from_conversion(
    session: Session, actor: Actor, request_id: int, body: ConversionIn
) -> PatientIn:
    """The patient to create: the request's fields, overridden by what was sent."""
    require_role(actor, TRIAGE_ROLES)
    req = _load(session, request_id)
    values = carried_over(req)
    values.update(body.model_dump(exclude_unset=True, exclude={"reason", "not_a_duplicate_of"}))
    values.setdefault("date_of_birth", body.date_of_birth)
    values.setdefault("sex_at_birth", body.sex_at_birth)
    try:
        return PatientIn.model_validate(values)
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for err in exc.errors():
            field = str(err["loc"][0]) if err["loc"] else "__all__"
            errors.setdefault(field, _readable(err, field))
        raise InvalidInput(errors) from exc


def _readable(err: Any, field: str) -> str:
    """A Pydantic error of the patient to create: its ``str`` is Pydantic's message as
    the API has always answered it, and a page shows it as the kit's sentence for
    people (``human_message``) in the reader's language."""
    problem = human_message(dict(err), field)
    made = str.__new__(Msg, str(err["msg"]).removeprefix("Value error, "))
    made.msgid, made.params = problem.msgid, problem.params
    return made


def require_convertible(status: str, patient_id: int | None) -> None:
    """A request in ``status`` may become a patient (409 otherwise)."""
    if status == "converted":
        raise Conflict(
            Msg(
                N_("the request was already converted into patient %(patient)s"),
                patient=str(patient_id),
            )
        )
    if not can_transition(status, "converted"):
        raise Conflict(
            Msg(
                N_("a %(status)s request cannot be converted into a patient"),
                status=_status(status),
            )
        )


def convert_to_patient(
    session: Session,
    actor: Actor,
    request_id: int,
    data: PatientIn,
    expected_version: int,
    *,
    reason: str | None = None,
    not_a_duplicate_of: Collection[int] = (),
) -> ConversionOut:
    """Create the patient from the request, link the two and mark the request
    converted, in one transaction (all of it or nothing). A person who may already be
    registered is refused (``ProbableDuplicate``, 409) until the user states that the
    candidates are other people (``not_a_duplicate_of``), as registration is."""
    require_role(actor, TRIAGE_ROLES)
    req = _load(session, request_id)
    require_convertible(req.status, req.patient_id)
    records.check_version(req.version, expected_version, "request")
    candidates = patients_service.check_duplicates(session, data, not_a_duplicate_of)
    patient = convert_in_transaction(session, actor, req, data, reason=reason)
    patients_service.record_distinct(session, actor, patient, candidates)
    session.commit()
    return ConversionOut(
        consultation_request=ConsultationRequestOut.model_validate(req),
        patient=PatientOut.model_validate(patient),
    )


def convert_in_transaction(
    session: Session,
    actor: Actor,
    req: ConsultationRequest,
    data: PatientIn,
    *,
    reason: str | None = None,
) -> Patient:
    """Create the patient, link it and mark the request converted, audited, in the
    caller's transaction (the request's state has been checked)."""
    why = f"converted from consultation request {req.id}" + (f": {reason}" if reason else "")
    patient = patients_service.add_patient(session, actor, data, reason=why)
    before = snapshot(req)
    req.patient_id = patient.id
    req.status = "converted"
    req.updated_at = utcnow()
    records.flush(session, "the request was changed by someone else at the same moment; reload it")
    old, new = audit.diff(before, snapshot(req))
    audit.record(
        session,
        actor,
        entity_type=ENTITY,
        entity_id=req.id,
        action="convert",
        before=old,
        after=new,
        reason=why,
    )
    # Later steps act on a new patient (the portal invites them) in this transaction.
    events.emit(session, actor, "intake.converted", patient_id=patient.id, request_id=req.id)
    return patient
