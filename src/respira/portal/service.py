"""The portal's public face: one-time sign-in links, the patient's account and its
invitation, choosing a password, and the patient's own home page. The use cases live in

- ``respira.portal.links`` — issuing and spending one-time sign-in links;
- ``respira.portal.invitations`` — asking for an account at conversion and discharge,
  the job that creates it and writes the invitation, staff sending it again;
- ``respira.portal.home`` — what the patient's home page shows, and the password page;
- ``respira.portal.texts`` — the patient-facing words written in Python.

Other steps call ``sign_in_link`` (a reminder's link) and ``ensure_account``; the routes,
the demo and the tests write ``service.X``.
"""

from __future__ import annotations

from respira.portal.home import (
    HomeView,
    choose_password,
    home,
    language,
)
from respira.portal.invitations import (
    INVITATION_PURPOSE,
    INVITATION_VALID_HOURS,
    INVITE_ROLES,
    PASSWORD_PATH,
    InvitationView,
    ensure_account,
    invite,
    on_converted,
    on_discharged,
    portal_status,
    process,
    send_due,
    waiting,
)
from respira.portal.links import (
    HOME_PATH,
    LINK_NOTICE,
    Redeemed,
    is_local_path,
    patient_account,
    redeem,
    sign_in_link,
)
from respira.portal.texts import CHOOSE_PASSWORD

__all__ = [
    "CHOOSE_PASSWORD",
    "HOME_PATH",
    "INVITATION_PURPOSE",
    "INVITATION_VALID_HOURS",
    "INVITE_ROLES",
    "LINK_NOTICE",
    "PASSWORD_PATH",
    "HomeView",
    "InvitationView",
    "Redeemed",
    "choose_password",
    "ensure_account",
    "home",
    "invite",
    "is_local_path",
    "language",
    "on_converted",
    "on_discharged",
    "patient_account",
    "portal_status",
    "process",
    "redeem",
    "send_due",
    "sign_in_link",
    "waiting",
]
