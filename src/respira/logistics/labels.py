"""The words of the logistics step's codes, marked for translation (``N_``) and
translated where they are shown: on the pages, in the email and in the letter."""

from __future__ import annotations

from respira.kit.marks import N_

ITEM_KIND_LABELS: dict[str, str] = {
    "travel_documents": N_("Travel documents and visa letter"),
    "flight": N_("Flights"),
    "airport_pickup": N_("Airport pickup and drop-off"),
    "accommodation": N_("Accommodation"),
    "interpreter": N_("Interpreter"),
    "meals": N_("Meals and diet"),
    "other": N_("Other"),
}
ITEM_STATE_LABELS: dict[str, str] = {
    "open": N_("open"),
    "in_progress": N_("in progress"),
    "done": N_("done"),
    "not_needed": N_("not needed"),
}
STAY_STATE_LABELS: dict[str, str] = {
    "booked": N_("booked"),
    "cancelled": N_("cancelled"),
    "completed": N_("completed"),
}
ROOM_LABELS: dict[str, str] = {
    "single": N_("single room"),
    "double": N_("double room"),
    "suite": N_("suite"),
}
DIET_LABELS: dict[str, str] = {
    "standard": N_("standard"),
    "vegetarian": N_("vegetarian"),
    "vegan": N_("vegan"),
    "halal": N_("halal"),
    "kosher": N_("kosher"),
    "gluten_free": N_("gluten-free"),
    "lactose_free": N_("lactose-free"),
    "diabetic": N_("diabetic"),
    "low_salt": N_("low in salt"),
    "soft": N_("soft food"),
}
RESTRICTION_KIND_LABELS: dict[str, str] = {
    "allergy": N_("allergy"),
    "intolerance": N_("intolerance"),
}
SEVERITY_LABELS: dict[str, str] = {
    "mild": N_("mild"),
    "moderate": N_("moderate"),
    "severe": N_("severe"),
}
# Where a diet line comes from.
SOURCE_LABELS: dict[str, str] = {
    "record": N_("recorded on the patient"),
    "allergy_panel": N_("positive allergy test"),
}
METHOD_LABELS: dict[str, str] = {
    "skin_prick": N_("skin prick test"),
    "sige": N_("specific IgE"),
}
