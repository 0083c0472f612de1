"""Who may do what in international patient coordination (least privilege;
tests/logistics/access_policy.py).

Coordinators run it: they book, change, cancel and complete stays, work through the
checklists, write the visa letters and send the travel plans. Admins read everything
(no changes). Physicians and nurses read the coordinator board and the kitchen's diet
list (the ward must know who arrives and what a patient must not eat); they do not read
checklists, which hold passports and travel details. Physicians, nurses and
coordinators record a patient's food allergies and intolerances (whoever hears of one
first), admins read them. A patient reads only their own travel plan and visa letter.
"""

from __future__ import annotations

from respira.kit.actors import Role

COORDINATE_ROLES = frozenset({Role.COORDINATOR})
STAY_READ_ROLES = frozenset({Role.COORDINATOR, Role.ADMIN})
BOARD_ROLES = frozenset({Role.COORDINATOR, Role.PHYSICIAN, Role.NURSE, Role.ADMIN})
DIET_WRITE_ROLES = frozenset({Role.COORDINATOR, Role.PHYSICIAN, Role.NURSE})
DIET_READ_ROLES = DIET_WRITE_ROLES | {Role.ADMIN}
PATIENT_ROLES = frozenset({Role.PATIENT})
# Whom a checklist item may be given to: the staff who look after travelling patients.
OWNER_ROLES = frozenset({Role.COORDINATOR, Role.NURSE, Role.PHYSICIAN, Role.ADMIN})
