"""Who may do what with adverse events (least privilege; tests/safety/access_policy.py).

Nurses and physicians record and correct adverse events; physicians sign the reports,
acknowledge serious-event alerts and retract a record entered in error; admins read;
the overview (counts by term and grade, lot flags, no patient names) is also the
laboratory's, which holds or recalls a flagged lot on the lot's page; admins keep the
on-call roster; admins and physicians publish the reference list of expected reactions.
Patients have no part here (their portal shows what the clinic tells them).
"""

from __future__ import annotations

from respira.kit.actors import Role
from respira.kit.marks import N_

RECORD_ROLES = frozenset({Role.NURSE, Role.PHYSICIAN})
READ_ROLES = frozenset({Role.ADMIN, Role.PHYSICIAN, Role.NURSE})
SIGN_ROLES = frozenset({Role.PHYSICIAN})
OVERVIEW_ROLES = frozenset({Role.ADMIN, Role.PHYSICIAN, Role.NURSE, Role.LAB})
LOT_ROLES = frozenset({Role.ADMIN, Role.PHYSICIAN, Role.LAB})
LOT_HOLD_ROLES = frozenset({Role.LAB})
ROSTER_ROLES = frozenset({Role.ADMIN})
EXPECTED_READ_ROLES = frozenset({Role.ADMIN, Role.PHYSICIAN, Role.NURSE})
EXPECTED_WRITE_ROLES = frozenset({Role.ADMIN, Role.PHYSICIAN})
# Who receives a serious-event alert when nobody is on call (the fallback).
FALLBACK_ALERT_ROLES = frozenset({Role.PHYSICIAN, Role.ADMIN})
# Who may stand on the roster in each of its roles.
ROSTER_ACCOUNT_ROLES = {
    "physician": frozenset({Role.PHYSICIAN}),
    "medical_director": frozenset({Role.PHYSICIAN, Role.ADMIN}),
}

INITIAL_MEANING = N_("initial safety report")
FOLLOW_UP_MEANING = N_("follow-up safety report")
REPORT_MEANINGS = {"initial": INITIAL_MEANING, "follow_up": FOLLOW_UP_MEANING}
