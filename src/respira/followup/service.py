"""Use cases of the follow-up after discharge, as one public face. They live in

- ``respira.followup.windows`` — the calendar: months clamped to the month's end,
  windows, the states (pure);
- ``respira.followup.scheduling`` — the plan in force and the schedule a discharge
  starts (the ``treatment.discharged`` listener, ``on_discharge``);
- ``respira.followup.checkins`` — a check-in checked, scored and interpreted as at
  baseline, stored once; its retraction;
- ``respira.followup.reads`` — a patient's check-ins, one in full, the coordinators'
  list, phone calls;
- ``respira.followup.reminders`` — the reminder job (``send_reminders``);

and who may do what in ``respira.followup.roles``. Other steps (the portal lists a
patient's check-ins still to answer: ``upcoming_for_patient``), the routes, the demo and
the tests write ``service.X``. Sources: clinical.md §1 (questionnaires, storage rule
§1.4), §2.5 (exacerbations), §6 (outcome measures, MCIDs).
"""

from __future__ import annotations

from respira.followup.checkins import (
    answered_items,
    item_ranges,
    record_check_in,
    retract_check_in,
)
from respira.followup.reads import (
    BOARD_VIEWS,
    board,
    get_follow_up,
    list_for_patient,
    record_contact,
    upcoming_for_patient,
)
from respira.followup.reminders import check_in_path, send_reminders
from respira.followup.roles import (
    CHECK_IN_ROLES,
    CONTACT_ROLES,
    ON_BEHALF_ROLES,
    PLAN_READ_ROLES,
    PLAN_WRITE_ROLES,
    READ_ROLES,
    STAFF_ROLES,
)
from respira.followup.scheduling import (
    clinic_today,
    get_plan,
    on_discharge,
    plan_in_force,
    schedule_course,
    set_plan,
)
from respira.followup.windows import STATES, add_months, state_of
from respira.kit.texts import Msg, patient_language, translate

__all__ = [
    "BOARD_VIEWS",
    "CHECK_IN_ROLES",
    "CONTACT_ROLES",
    "ON_BEHALF_ROLES",
    "PLAN_READ_ROLES",
    "PLAN_WRITE_ROLES",
    "READ_ROLES",
    "STAFF_ROLES",
    "STATES",
    "Msg",
    "add_months",
    "answered_items",
    "board",
    "check_in_path",
    "clinic_today",
    "get_follow_up",
    "get_plan",
    "item_ranges",
    "list_for_patient",
    "on_discharge",
    "patient_language",
    "plan_in_force",
    "record_check_in",
    "record_contact",
    "retract_check_in",
    "schedule_course",
    "send_reminders",
    "set_plan",
    "state_of",
    "translate",
    "upcoming_for_patient",
]
