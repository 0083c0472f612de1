"""International patient coordination, as one public face: a patient's stays at the
clinic and their checklists, the patient's diet restrictions, the coordinator board and
the kitchen's diet list, and the patient's travel plan (portal, email, visa letter).
The use cases live in

- ``respira.logistics.stays`` — booking (which emits ``logistics.stay_booked``),
  changing, cancelling, completing and reading stays;
- ``respira.logistics.checklist`` — the checklist's items, their states, owners and
  details (flights at their airports' local times: ``respira.logistics.clock`` and the
  airport table ``respira.logistics.airports``);
- ``respira.logistics.diets`` — food allergies and intolerances, and the allergy
  panel's food sensitisations (``respira.logistics.foods``);
- ``respira.logistics.board`` — the day's arrivals, departures, pickups, interpreters
  and kitchen list;
- ``respira.logistics.travel_plan`` and ``letter`` — the travel plan, its email, and
  the visa invitation letter (PDF);

and who may do what in ``respira.logistics.roles``. The routes, the demo and the tests
write ``service.X``.
"""

from __future__ import annotations

from respira.kit.clinic_time import clinic_today, clinic_zone
from respira.logistics import airports
from respira.logistics.board import board
from respira.logistics.checklist import (
    MOVES,
    NEEDED_FOR_DONE,
    NEEDED_WORDS,
    OPEN_STATES,
    STANDARD_KINDS,
    add_item,
    checklist,
    owners,
    update_item,
)
from respira.logistics.clock import shown
from respira.logistics.diets import get_diet, record_restriction, retract_restriction
from respira.logistics.labels import (
    DIET_LABELS,
    ITEM_KIND_LABELS,
    ITEM_STATE_LABELS,
    METHOD_LABELS,
    RESTRICTION_KIND_LABELS,
    ROOM_LABELS,
    SEVERITY_LABELS,
    SOURCE_LABELS,
    STAY_STATE_LABELS,
)
from respira.logistics.roles import (
    BOARD_ROLES,
    COORDINATE_ROLES,
    DIET_READ_ROLES,
    DIET_WRITE_ROLES,
    PATIENT_ROLES,
    STAY_READ_ROLES,
)
from respira.logistics.rows import load_stay
from respira.logistics.stays import (
    BOOKED_EVENT,
    book_stay,
    cancel_stay,
    complete_stay,
    get_stay,
    list_stays,
    stays_of_patient,
    update_stay,
)
from respira.logistics.travel_plan import (
    LETTER_FILE,
    MAIL_KIND,
    diet_words,
    email_text,
    language_name,
    my_travel,
    send_travel_plan,
    travel_plan,
    visa_letter,
)

__all__ = [
    "BOARD_ROLES",
    "BOOKED_EVENT",
    "COORDINATE_ROLES",
    "DIET_LABELS",
    "DIET_READ_ROLES",
    "DIET_WRITE_ROLES",
    "ITEM_KIND_LABELS",
    "ITEM_STATE_LABELS",
    "LETTER_FILE",
    "MAIL_KIND",
    "METHOD_LABELS",
    "MOVES",
    "NEEDED_FOR_DONE",
    "NEEDED_WORDS",
    "OPEN_STATES",
    "PATIENT_ROLES",
    "RESTRICTION_KIND_LABELS",
    "ROOM_LABELS",
    "SEVERITY_LABELS",
    "SOURCE_LABELS",
    "STANDARD_KINDS",
    "STAY_READ_ROLES",
    "STAY_STATE_LABELS",
    "add_item",
    "airports",
    "board",
    "book_stay",
    "cancel_stay",
    "checklist",
    "clinic_today",
    "clinic_zone",
    "complete_stay",
    "diet_words",
    "email_text",
    "get_diet",
    "get_stay",
    "language_name",
    "list_stays",
    "load_stay",
    "my_travel",
    "owners",
    "record_restriction",
    "retract_restriction",
    "send_travel_plan",
    "shown",
    "stays_of_patient",
    "travel_plan",
    "update_item",
    "update_stay",
    "visa_letter",
]
