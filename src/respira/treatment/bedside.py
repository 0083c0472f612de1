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

import datetime as dt
from dataclasses import dataclass
from typing import Protocol
from zoneinfo import ZoneInfo

from respira.kit.clinic_time import clinic_day, clinic_zone
from respira.kit.i18n import zone_label


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
    is an aware UTC time. Every reason that applies is given, in a fixed order.
    """
    found: list[tuple[str, str]] = []
    if patient_id is None:
        found.append(
            (UNKNOWN_PATIENT, f"no patient has the wristband code {patient_code!r}; scan again")
        )
    if unit is None:
        found.append((UNKNOWN_UNIT, f"no unit has the DIN {din}; check the label"))
    else:
        if (
            unit.autologous_patient_id is not None
            and patient_id is not None
            and unit.autologous_patient_id != patient_id
        ):
            found.append(
                (
                    OTHER_PATIENTS_AUTOLOGOUS,
                    "this is another patient's autologous unit: it may only be given to its donor",
                )
            )
        if unit.course_id is None or course_patient_id is None:
            found.append((NOT_ALLOCATED, "the unit is not allocated to a course of this patient"))
        elif patient_id is not None and course_patient_id != patient_id:
            found.append(
                (
                    NOT_ALLOCATED,
                    "the unit is allocated to another patient's course, not this patient's",
                )
            )
        if unit.lot_status == "recalled":
            found.append((RECALLED, "the lot was recalled: do not give, return it to the lab"))
        elif unit.lot_status == "discarded":
            found.append((DISCARDED, "the lot was discarded"))
        elif unit.lot_status != "released":
            found.append((NOT_RELEASED, f"the lot is not released (it is in {unit.lot_status})"))
        if unit.unit_status == "discarded" and unit.lot_status != "discarded":
            found.append((DISCARDED, "the unit was discarded"))
        # The expiry on the label is a day of the clinic's calendar, not of UTC's.
        if unit.lot_expiry is not None and clinic_day(now) > unit.lot_expiry:
            found.append((EXPIRED, f"the lot expired on {unit.lot_expiry.isoformat()}"))
        if unit.thaw_expires_at is not None and now >= unit.thaw_expires_at:
            found.append(
                (
                    THAW_EXPIRED,
                    f"the post-thaw time ran out at {clinic_clock(unit.thaw_expires_at)}",
                )
            )
        if unit.unit_status == "administered":
            found.append((ALREADY_GIVEN, "the unit was already given"))
    return Verdict(
        ok=not found,
        codes=tuple(code for code, _ in found),
        reasons=tuple(message for _, message in found),
    )
