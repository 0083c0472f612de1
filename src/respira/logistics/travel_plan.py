"""The patient's travel plan: what the portal's "My travel" page shows and what the
coordinator's "send travel plan" puts into the outbox, in the patient's language — the
stay, the flights at their airports' local times (zone named), who picks the patient up
and where, the room, the interpreter, and the meals with the diet restrictions the
kitchen keeps to. The visa letter for the consulate comes from here too.

The email is written in the patient's preferred language when Respira has it (English,
German, Russian), else English; it goes through the outbox (``mail.service.enqueue``,
kind ``logistics.travel_plan``) in the transaction that records the sending, audited.
"""

from __future__ import annotations

from typing import Any

from babel import Locale
from sqlalchemy.orm import Session

from respira.kit.actors import Actor, Role, require_role
from respira.kit.clinic_time import clinic_today
from respira.kit.config import get_settings
from respira.kit.db import utcnow
from respira.kit.errors import Conflict, InvalidInput
from respira.kit.texts import Gettext, gettext_in, patient_language
from respira.kit.trail import Trail
from respira.logistics import checklist, clock, diets, letter, rows, stays
from respira.logistics.labels import (
    DIET_LABELS,
    RESTRICTION_KIND_LABELS,
    ROOM_LABELS,
    SEVERITY_LABELS,
)
from respira.logistics.models import Stay, StayItem
from respira.logistics.roles import COORDINATE_ROLES, PATIENT_ROLES, STAY_READ_ROLES
from respira.logistics.schemas import (
    AccommodationOut,
    DietLine,
    FlightLegOut,
    InterpreterOut,
    StayOut,
    TransferOut,
    TravelPlanOut,
)
from respira.mail import service as mail
from respira.patients import service as patients_service

MAIL_KIND = "logistics.travel_plan"
LETTER_FILE = "invitation-letter.pdf"
TRAIL = Trail("stay")
PLAN_ROLES = STAY_READ_ROLES | PATIENT_ROLES


def _needed(item: StayItem) -> bool:
    return item.state != "not_needed"


def plan_of(session: Session, stay: Stay) -> TravelPlanOut:
    patient = patients_service.find(session, stay.patient_id)
    items = {item.kind: item for item in stay.items if item.kind != "other"}
    flights = items["flight"].details
    pickup = items["airport_pickup"]
    room = items["accommodation"]
    interpreter = items["interpreter"]
    meals = items["meals"]
    transfers = pickup.details
    return TravelPlanOut(
        stay=stays.stay_out(stay, patient),
        arrival=checklist.flight_leg(flights.get("arrival")),
        departure=checklist.flight_leg(flights.get("departure")),
        pickup=TransferOut(**transfers["pickup"]) if transfers.get("pickup") else None,
        dropoff=TransferOut(**transfers["dropoff"]) if transfers.get("dropoff") else None,
        transfers_needed=_needed(pickup),
        accommodation=AccommodationOut(
            room=room.details.get("room"),
            address=room.details.get("address"),
            nights=room.details.get("nights") or (stay.departure_date - stay.arrival_date).days,
            companion=room.details.get("companion", stay.companion),
        )
        if _needed(room)
        else None,
        interpreter=InterpreterOut(
            language=interpreter.details.get("language"),
            interpreter=interpreter.details.get("interpreter"),
            phone=interpreter.details.get("phone"),
        )
        if _needed(interpreter)
        else None,
        diet=meals.details.get("diet"),
        diet_lines=diets.lines_for(session, stay.patient_id),
        meals_needed=_needed(meals),
        visa_letter=_needed(items["travel_documents"]),
    )


def travel_plan(session: Session, actor: Actor, stay_id: int) -> TravelPlanOut:
    """One stay's travel plan (a patient: their own stay only)."""
    require_role(actor, PLAN_ROLES)
    return plan_of(session, rows.load_stay(session, actor, stay_id))


def my_travel(session: Session, actor: Actor) -> list[TravelPlanOut]:
    """The signed-in patient's booked stays that have not ended, soonest first."""
    require_role(actor, PATIENT_ROLES)
    assert actor.patient_id is not None
    today = clinic_today()
    found = stays.stays_between(
        session,
        today,
        today.replace(year=today.year + 5),
        patient_id=actor.patient_id,
        states=("booked",),
    )
    return [plan_of(session, stay) for stay in found]


# --- the visa letter --------------------------------------------------------------------


def _letter(session: Session, stay: Stay, patient: Any, lang: str, signer: str) -> bytes:
    items = {item.kind: item for item in stay.items}
    documents = items["travel_documents"].details
    return letter.render(
        stay,
        letter.Invitee(
            first_name=patient.first_name,
            last_name=patient.last_name,
            date_of_birth=patient.date_of_birth,
            nationality=documents.get("nationality"),
            passport_number=documents.get("passport_number"),
        ),
        lang=lang,
        signed_by=signer,
        accommodation=_needed(items["accommodation"]),
        issued_on=clinic_today(),
    )


def visa_letter(session: Session, actor: Actor, stay_id: int, lang: str | None = None) -> bytes:
    """The stay's invitation letter as PDF, in ``lang`` or the patient's language,
    signed by the coordinator who asks (for a patient: who booked the stay). A patient
    gets it for their own stays only; a cancelled stay has none (409)."""
    require_role(actor, PLAN_ROLES)
    stay = rows.load_stay(session, actor, stay_id)
    if stay.state == "cancelled":
        raise Conflict("the stay is cancelled: it has no invitation letter")
    patient = patients_service.get_visible(session, actor, stay.patient_id)
    signer = stay.created_by_name if actor.role == Role.PATIENT else actor.name
    return _letter(
        session, stay, patient, lang or patient_language(patient.preferred_language), signer
    )


# --- the email --------------------------------------------------------------------------


def language_name(tag: str | None, lang: str) -> str:
    """A language tag's name in the reader's language ("Russisch" for ru, in German)."""
    if not tag:
        return ""
    try:
        return Locale.parse(tag, sep="-").get_display_name(lang) or tag
    except (ValueError, TypeError):
        return tag


def diet_words(line: DietLine, _: Gettext) -> str:
    """ "Peanut — allergy, severe" in the reader's language."""
    parts = [_(RESTRICTION_KIND_LABELS[line.kind])]
    if line.severity:
        parts.append(_(SEVERITY_LABELS[line.severity]))
    if line.source == "allergy_panel":
        parts.append(_("positive allergy test"))
    return f"{line.substance} — {', '.join(parts)}"


def _flight_lines(leg: FlightLegOut, label: str, _: Gettext, lang: str) -> list[str]:
    departs = clock.shown(leg.departs_at, leg.from_zone, lang)
    arrives = clock.shown(leg.arrives_at, leg.to_zone, lang)
    lines = [
        f"{label}: {leg.number}",
        "  "
        + _("departs %(airport)s on %(when)s")
        % {"airport": leg.from_airport_name, "when": departs},
        "  "
        + _("lands at %(airport)s on %(when)s") % {"airport": leg.to_airport_name, "when": arrives},
    ]
    terminal = leg.to_terminal if label == _("Arrival") else leg.from_terminal
    if terminal:
        lines.append("  " + _("Terminal %(terminal)s") % {"terminal": terminal})
    return lines


def _transfer_lines(transfer: TransferOut | None, label: str, _: Gettext) -> list[str]:
    if transfer is None or not transfer.confirmed:
        return [f"{label}: " + _("being arranged; we will write to you when it is confirmed.")]
    lines = [f"{label}: " + _("confirmed")]
    if transfer.driver:
        lines.append("  " + _("Driver: %(driver)s") % {"driver": transfer.driver})
    if transfer.driver_phone:
        lines.append("  " + _("Driver's phone: %(phone)s") % {"phone": transfer.driver_phone})
    if transfer.vehicle:
        lines.append("  " + _("Car: %(vehicle)s") % {"vehicle": transfer.vehicle})
    if transfer.meeting_point:
        lines.append("  " + _("Meeting point: %(place)s") % {"place": transfer.meeting_point})
    return lines


def email_text(plan: TravelPlanOut, lang: str) -> tuple[str, str]:
    """The travel plan's subject and text in ``lang``."""
    _ = gettext_in(lang)
    stay = plan.stay
    params: dict[str, Any] = {
        "name": stay.patient_name,
        "clinic": get_settings().clinic_name,
        "arrival": clock.long_date(stay.arrival_date, lang),
        "departure": clock.long_date(stay.departure_date, lang),
        "nights": stay.nights,
        "link": f"{get_settings().public_base_url}/login?next=/my/travel",
    }
    lines = [
        _("Dear %(name)s,") % params,
        "",
        _("here is your travel plan for your stay at %(clinic)s.") % params,
        "",
        _("Your stay: %(arrival)s to %(departure)s (%(nights)s nights)") % params,
        "",
    ]
    if plan.arrival:
        lines += _flight_lines(plan.arrival, _("Arrival"), _, lang)
    if plan.transfers_needed:
        lines += _transfer_lines(plan.pickup, _("Pickup at the airport"), _)
    if plan.departure:
        lines += ["", *_flight_lines(plan.departure, _("Departure"), _, lang)]
    if plan.transfers_needed:
        lines += _transfer_lines(plan.dropoff, _("Drive to the airport"), _)
    if plan.accommodation:
        room = plan.accommodation
        lines += ["", _("Accommodation: %(room)s") % {"room": _(ROOM_LABELS[stay.room_type])}]
        if room.room:
            lines.append("  " + _("Room: %(room)s") % {"room": room.room})
        if room.address:
            lines.append("  " + _("Address: %(address)s") % {"address": room.address})
        if room.companion:
            lines.append("  " + _("Your companion stays with you."))
    if plan.interpreter:
        found = plan.interpreter
        lines += [
            "",
            _("Interpreter: %(language)s") % {"language": language_name(found.language, lang)},
        ]
        if found.interpreter:
            lines.append("  " + found.interpreter + (f", {found.phone}" if found.phone else ""))
    if plan.meals_needed:
        diet = _(DIET_LABELS[plan.diet]) if plan.diet else _("standard")
        lines += ["", _("Meals: %(diet)s") % {"diet": diet}]
        if plan.diet_lines:
            lines.append("  " + _("The kitchen keeps these off your plate:"))
            lines += [f"  - {diet_words(line, _)}" for line in plan.diet_lines]
    lines += [
        "",
        _("To see your travel plan at any time, sign in to Respira: %(link)s") % params,
        "",
        _("Your care team at the clinic"),
    ]
    subject = _("Your travel plan: %(arrival)s to %(departure)s") % params
    return subject, "\n".join(lines) + "\n"


def send_travel_plan(session: Session, actor: Actor, stay_id: int) -> StayOut:
    """Put the travel plan into the outbox for the patient, in their language, and
    record when it was sent (committed). 422 when the patient has no email address."""
    require_role(actor, COORDINATE_ROLES)
    stay = rows.load_stay(session, actor, stay_id)
    patient = patients_service.get_for_update(session, actor, stay.patient_id)
    if stay.state != "booked":
        raise Conflict(f"the stay is {stay.state}: its travel plan is not sent")
    if not patient.email:
        raise InvalidInput(
            {"email": "the patient has no email address; add one to the patient's record first"}
        )
    lang = patient_language(patient.preferred_language)
    plan = plan_of(session, stay)
    subject, text = email_text(plan, lang)
    attachments = []
    if plan.visa_letter:
        pdf = _letter(session, stay, patient, lang, actor.name)
        attachments.append(mail.Attachment(LETTER_FILE, "application/pdf", pdf))
    message_id = mail.enqueue(
        session,
        to=patient.email,
        subject=subject,
        text=text,
        attachments=attachments,
        kind=MAIL_KIND,
        patient_id=patient.id,
    )
    before = {"travel_plan_sent_at": stay.travel_plan_sent_at}
    stay.travel_plan_sent_at = utcnow()
    session.flush()
    TRAIL.record(
        session,
        actor,
        stay.id,
        "send_travel_plan",
        before=before,
        after={
            "travel_plan_sent_at": stay.travel_plan_sent_at,
            "outbox_message": message_id,
            "language": lang,
        },
    )
    session.commit()
    return stays.stay_out(stay, patient)
