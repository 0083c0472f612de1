"""The bedside go / no-go: a pure function of the facts read at the scan.

Before a unit is given, the patient's identity (the wristband code) and the unit's
identity (its ISBT 128 DIN) are checked against the order: the unit must be this
patient's (an autologous unit only for its donor), allocated to this patient's course,
released and not recalled, within the lot's expiry and the post-thaw time, and not
given already. FACT-JACIE asks for two trained people, or one person and a validated
electronic system, to check product and recipient identity, integrity and expiry
before administration and to record who did it and when (clinical.md §5.5). This
module is that electronic check; it does no I/O so that every rule is tested on its
own, and every reason comes back (a nurse fixes all of them, not the first one).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from dataclasses import dataclass
from typing import Protocol
from zoneinfo import ZoneInfo

from respira.kit.clinic_time import clinic_day, clinic_zone
from respira.kit.i18n import fmt_date, zone_label
from respira.kit.marks import N_
from respira.kit.texts import Gettext, Msg, Msgs, message_pattern


class UnitFactsLike(Protocol):
    """What ``respira.products.service.bedside_facts`` answers about a unit."""

    @property
    def unit_id(self) -> int: ...
    @property
    def din(self) -> str: ...
    @property
    def lot_status(self) -> str: ...
    @property
    def lot_expiry(self) -> dt.date | None: ...
    @property
    def unit_status(self) -> str: ...
    @property
    def autologous_patient_id(self) -> int | None: ...
    @property
    def course_id(self) -> int | None: ...
    @property
    def thaw_expires_at(self) -> dt.datetime | None: ...


# Reason codes, in the order a nurse reads them, with their messages.
UNKNOWN_PATIENT = "unknown_patient"
UNKNOWN_UNIT = "unknown_unit"
OTHER_PATIENTS_AUTOLOGOUS = "other_patients_autologous_unit"
NOT_ALLOCATED = "not_allocated_to_patients_course"
NOT_RELEASED = "lot_not_released"
RECALLED = "lot_recalled"
DISCARDED = "discarded"
EXPIRED = "lot_expired"
THAW_EXPIRED = "post_thaw_time_expired"
ALREADY_GIVEN = "already_given"

REASON_CODES: tuple[str, ...] = (
    UNKNOWN_PATIENT,
    UNKNOWN_UNIT,
    OTHER_PATIENTS_AUTOLOGOUS,
    NOT_ALLOCATED,
    NOT_RELEASED,
    RECALLED,
    DISCARDED,
    EXPIRED,
    THAW_EXPIRED,
    ALREADY_GIVEN,
)


# What each reason says (English in the API, the stored check and the unit's ledger; a
# page shows it in the reader's language from the stored code and text, ``reason_text``).
_NO_PATIENT = N_("no patient has the wristband code %(code)s; scan again")
_NO_UNIT = N_("no unit has the DIN %(din)s; check the label")
_AUTOLOGOUS = N_("this is another patient's autologous unit: it may only be given to its donor")
_NOT_ALLOCATED = N_("the unit is not allocated to a course of this patient")
_OTHER_COURSE = N_("the unit is allocated to another patient's course, not this patient's")
_RECALLED = N_("the lot was recalled: do not give, return it to the lab")
_LOT_DISCARDED = N_("the lot was discarded")
_NOT_RELEASED = N_("the lot is not released (it is in %(status)s)")
_UNIT_DISCARDED = N_("the unit was discarded")
_EXPIRED = N_("the lot expired on %(date)s")
_THAW_EXPIRED = N_("the post-thaw time ran out at %(time)s")
_ALREADY_GIVEN = N_("the unit was already given")
REASON_MESSAGES: tuple[tuple[str, str], ...] = (
    (UNKNOWN_PATIENT, _NO_PATIENT),
    (UNKNOWN_UNIT, _NO_UNIT),
    (OTHER_PATIENTS_AUTOLOGOUS, _AUTOLOGOUS),
    (NOT_ALLOCATED, _NOT_ALLOCATED),
    (NOT_ALLOCATED, _OTHER_COURSE),
    (NOT_RELEASED, _NOT_RELEASED),
    (RECALLED, _RECALLED),
    (DISCARDED, _LOT_DISCARDED),
    (DISCARDED, _UNIT_DISCARDED),
    (EXPIRED, _EXPIRED),
    (THAW_EXPIRED, _THAW_EXPIRED),
    (ALREADY_GIVEN, _ALREADY_GIVEN),
)


@dataclass(frozen=True, slots=True)
class Verdict:
    ok: bool
    codes: tuple[str, ...]
    reasons: tuple[str, ...]


def clinic_clock(at: dt.datetime, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """A stored moment as the ward reads it in text written by the code (a reason, a
    detail): the clinic's local time (``RESPIRA_CLINIC_TIMEZONE``) with the zone named
    ("2026-03-14 10:20 CET")."""
    local = (at if at.tzinfo else at.replace(tzinfo=dt.UTC)).astimezone(ZoneInfo(clinic_zone()))
    return f"{local.strftime(pattern)} {zone_label(local)}"


def verdict(
    *,
    patient_id: int | None,
    patient_code: str,
    unit: UnitFactsLike | None,
    din: str,
    course_patient_id: int | None,
    now: dt.datetime,
) -> Verdict:
    """Go or no-go for giving the unit ``din`` to the patient of the wristband code.

    ``course_patient_id`` is the patient of the course the unit is allocated to (None
    when the unit is allocated to no course, or the course is not approved); ``now``
    is an aware UTC time. Every reason that applies is given, in a fixed order, as
    English text that remembers its message and parameters (``Msg``).
    """
    found: list[tuple[str, Msg]] = []
    if patient_id is None:
        found.append((UNKNOWN_PATIENT, Msg(_NO_PATIENT, code=repr(patient_code))))
    if unit is None:
        found.append((UNKNOWN_UNIT, Msg(_NO_UNIT, din=din)))
    else:
        if (
            unit.autologous_patient_id is not None
            and patient_id is not None
            and unit.autologous_patient_id != patient_id
        ):
            found.append((OTHER_PATIENTS_AUTOLOGOUS, Msg(_AUTOLOGOUS)))
        if unit.course_id is None or course_patient_id is None:
            found.append((NOT_ALLOCATED, Msg(_NOT_ALLOCATED)))
        elif patient_id is not None and course_patient_id != patient_id:
            found.append((NOT_ALLOCATED, Msg(_OTHER_COURSE)))
        if unit.lot_status == "recalled":
            found.append((RECALLED, Msg(_RECALLED)))
        elif unit.lot_status == "discarded":
            found.append((DISCARDED, Msg(_LOT_DISCARDED)))
        elif unit.lot_status != "released":
            found.append((NOT_RELEASED, Msg(_NOT_RELEASED, status=unit.lot_status)))
        if unit.unit_status == "discarded" and unit.lot_status != "discarded":
            found.append((DISCARDED, Msg(_UNIT_DISCARDED)))
        # The expiry on the label is a day of the clinic's calendar, not of UTC's.
        if unit.lot_expiry is not None and clinic_day(now) > unit.lot_expiry:
            found.append((EXPIRED, Msg(_EXPIRED, date=unit.lot_expiry.isoformat())))
        if unit.thaw_expires_at is not None and now >= unit.thaw_expires_at:
            found.append(
                (THAW_EXPIRED, Msg(_THAW_EXPIRED, time=clinic_clock(unit.thaw_expires_at)))
            )
        if unit.unit_status == "administered":
            found.append((ALREADY_GIVEN, Msg(_ALREADY_GIVEN)))
    return Verdict(
        ok=not found,
        codes=tuple(code for code, _ in found),
        reasons=tuple(message for _, message in found),
    )


# --- the reasons in the reader's language ----------------------------------------------


_PATTERNS: tuple[tuple[str, str, re.Pattern[str]], ...] = tuple(
    (code, msgid, message_pattern(msgid)) for code, msgid in REASON_MESSAGES
)


def reason_message(code: str, text: str) -> Msg | None:
    """A stored reason (its code and its English text) as the message it was written
    from, with its parameters read back from the text; None for a text that no message
    of the code writes (one stored before the message changed)."""
    for known, msgid, pattern in _PATTERNS:
        found = pattern.fullmatch(text) if known == code else None
        if found is not None:
            return Msg(msgid, **found.groupdict())
    return None


def verdict_reasons(found: Verdict) -> Msgs:
    """A verdict's reasons as one message ("first; second"): the English joined, each
    translated on its own on a page (a text no message writes stays as it is)."""
    return Msgs(
        reason_message(code, text) or text
        for code, text in zip(found.codes, found.reasons, strict=True)
    )


def reason_text(code: str, text: str, gettext: Gettext, lang: str) -> str:
    """A stored reason in the reader's language (the English text as stored when it is
    not one of the messages): the lot's status in words and the expiry day in the
    language's way; the post-thaw time stays as written, in the clinic's time with
    its zone named."""
    message = reason_message(code, text)
    if message is None:
        return text
    params = dict(message.params)
    if "status" in params:  # the lot statuses' words are the products step's messages
        params["status"] = gettext(params["status"])
    if "date" in params:
        with contextlib.suppress(ValueError):  # a day written otherwise stays as written
            params["date"] = fmt_date(dt.date.fromisoformat(params["date"]), lang)
    return gettext(message.msgid) % params
