"""The patient's portal account and its invitation.

A patient gets an account when their consultation request becomes a patient record
(``intake.converted``) or at discharge (``treatment.discharged``), if they have an email
address and no account yet; staff can send the invitation again from the patient's page.
The invitation email carries a one-time link (valid 7 days) that signs the patient in
and opens the page where they choose their password; a new invitation revokes the
unused links of the older ones.

The listeners only *ask* for the invitation, in the emitter's transaction (a row in
``portal_invitations``, audited), so that the conversion or the discharge commits or
rolls back with it and never waits on anything else. The portal's job (``send_due``)
carries the invitation out in transactions of its own: it creates the account through
the accounts step (a random password nobody knows: the patient sets their own) and
writes the email into the outbox. Each step of that work locks the invitation row and
checks its state first, so two job processes at once send one invitation.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from respira.accounts import service as accounts_service
from respira.kit import records
from respira.kit.actors import Actor, Role, require_role
from respira.kit.db import Database, utcnow
from respira.kit.errors import InvalidInput
from respira.kit.marks import N_
from respira.kit.texts import patient_language
from respira.kit.trail import Trail
from respira.mail import service as mail_service
from respira.patients import service as patients_service
from respira.portal.links import PORTAL, issue_link, patient_account, revoke_unused
from respira.portal.models import PortalInvitation, SignInLink
from respira.portal.texts import invitation_email

TRAIL = Trail("portal_invitation")

INVITE_ROLES = frozenset({Role.ADMIN, Role.PHYSICIAN, Role.COORDINATOR})
PASSWORD_PATH = "/my/password/new"  # noqa: S105 (a page, not a password)
INVITATION_PURPOSE = "invitation"
INVITATION_VALID_HOURS = 7 * 24
BATCH = 50

# Why an invitation was not sent (shown to staff, translated there).
NO_EMAIL = N_("the patient has no email address; add one to the patient's record first")
EMAIL_TAKEN = N_("another account already uses the patient's email address")
HAS_ACCOUNT = N_("the patient already has an account")
DEACTIVATED = N_("the patient's account is deactivated")


def _ask(session: Session, actor: Actor, patient_id: int, reason: str) -> PortalInvitation:
    row = PortalInvitation(
        patient_id=patient_id,
        reason=reason,
        requested_at=utcnow(),
        requested_by_id=actor.user_id,
        requested_by_name=actor.name,
        state="pending",
    )
    session.add(row)
    session.flush()
    TRAIL.record(
        session, actor, row.id, "request", after={"patient_id": patient_id, "reason": reason}
    )
    return row


def _open_invitation(session: Session, patient_id: int) -> int | None:
    return session.scalar(
        select(PortalInvitation.id).where(
            PortalInvitation.patient_id == patient_id,
            PortalInvitation.state.in_(("pending", "account_ready")),
        )
    )


def ensure_account(
    session: Session, actor: Actor, patient_id: int, *, reason: str = "discharge"
) -> bool:
    """Ask, in the caller's transaction, for the patient's portal account and its
    invitation email: True when the patient has an email address and no account and
    none was asked for yet (the portal's job then creates the account and writes the
    email, kind "portal.invitation", in the patient's language)."""
    patient = patients_service.find(session, patient_id)
    if patient is None or not patient.email:
        return False
    if patient_account(session, patient_id) is not None:
        return False
    if _open_invitation(session, patient_id) is not None:
        return False
    _ask(session, actor, patient_id, reason)
    return True


def on_converted(session: Session, actor: Actor, *, patient_id: int, **_: Any) -> None:
    """``intake.converted``: a new patient from a consultation request."""
    ensure_account(session, actor, patient_id, reason="conversion")


def on_discharged(session: Session, actor: Actor, *, patient_id: int, **_: Any) -> None:
    """``treatment.discharged``: the patient goes home."""
    ensure_account(session, actor, patient_id, reason="discharge")


# --- carrying an invitation out -----------------------------------------------------------


def _skip(session: Session, row: PortalInvitation, problem: str) -> str:
    row.state = "skipped"
    row.problem = problem
    row.processed_at = utcnow()
    TRAIL.record(session, PORTAL, row.id, "skip", after={"state": "skipped", "problem": problem})
    session.commit()
    return row.state


def _account_problem(session: Session, row: PortalInvitation) -> str | None:
    patient = patients_service.find(session, row.patient_id)
    assert patient is not None  # a foreign key with ON DELETE RESTRICT
    account = patient_account(session, row.patient_id)
    if account is not None:
        return HAS_ACCOUNT if row.reason != "staff" else None
    if not patient.email:
        return NO_EMAIL
    if accounts_service.email_taken(session, patient.email):
        return EMAIL_TAKEN
    return None


def _create_account(session: Session, row: PortalInvitation) -> str | None:
    """Create the patient's account (the accounts step commits it, with the invitation
    marked ``account_ready``); the problem when it cannot be created."""
    patient = patients_service.find(session, row.patient_id)
    assert patient is not None and patient.email
    try:
        accounts_service.create_user(
            session,
            PORTAL,
            email=patient.email,
            name=f"{patient.first_name} {patient.last_name}",
            role=Role.PATIENT,
            password=secrets.token_urlsafe(32),  # nobody knows it: the patient sets theirs
            patient_id=patient.id,
        )
    except InvalidInput as exc:  # taken at the same moment, or an address it refuses
        session.rollback()
        return "; ".join(exc.errors.values())
    return None


def _send(session: Session, row: PortalInvitation) -> str:
    account = patient_account(session, row.patient_id)
    if account is None or not account.is_active:
        return _skip(session, row, DEACTIVATED)
    patient = patients_service.find(session, row.patient_id)
    assert patient is not None
    revoke_unused(session, row.patient_id, INVITATION_PURPOSE)
    issued = issue_link(
        session,
        row.patient_id,
        next_path=PASSWORD_PATH,
        purpose=INVITATION_PURPOSE,
        valid_hours=INVITATION_VALID_HOURS,
    )
    assert issued is not None  # the account is active
    link, url = issued
    subject, text = invitation_email(
        patient_language(patient.preferred_language),
        name=f"{patient.first_name} {patient.last_name}",
        url=url,
        email=account.email,
    )
    row.outbox_id = mail_service.enqueue(
        session,
        to=account.email,
        subject=subject,
        text=text,
        kind="portal.invitation",
        patient_id=row.patient_id,
    )
    row.link_id = link.id
    row.state = "sent"
    row.processed_at = utcnow()
    after = {"state": "sent", "link_id": link.id, "outbox_id": row.outbox_id}
    TRAIL.record(session, PORTAL, row.id, "send", after=after)
    session.commit()
    return row.state


def process(session: Session, invitation_id: int) -> str:
    """Carry one invitation as far as it goes, committing each step; answers what this
    call did: "sent", "skipped", or "elsewhere" (another process did it, or is on it)."""
    row = records.lock_row(session, PortalInvitation, invitation_id)
    if row is None or row.state in ("sent", "skipped"):
        session.commit()
        return "elsewhere"
    if row.state == "pending":
        problem = _account_problem(session, row)
        if problem is not None:
            return _skip(session, row, problem)
        row.state = "account_ready"
        if patient_account(session, row.patient_id) is None:
            problem = _create_account(session, row)  # commits the state with the account
            if problem is not None:
                row = records.lock_row(session, PortalInvitation, invitation_id)
                assert row is not None
                return _skip(session, row, problem) if row.state == "pending" else "elsewhere"
        else:
            session.commit()
        row = records.lock_row(session, PortalInvitation, invitation_id)
        assert row is not None
        if row.state != "account_ready":  # another process went on meanwhile
            session.commit()
            return "elsewhere"
    try:
        return _send(session, row)
    except InvalidInput as exc:  # an address the outbox refuses: say so, do not retry
        session.rollback()
        row = records.lock_row(session, PortalInvitation, invitation_id)
        assert row is not None
        if row.state != "account_ready":
            session.commit()
            return "elsewhere"
        return _skip(session, row, "; ".join(exc.errors.values()))


def waiting(session: Session) -> list[int]:
    """The invitations asked for and not yet carried out, oldest first (a batch)."""
    return list(
        session.scalars(
            select(PortalInvitation.id)
            .where(PortalInvitation.state.in_(("pending", "account_ready")))
            .order_by(PortalInvitation.id)
            .limit(BATCH)
        )
    )


def send_due(db: Database, now: dt.datetime) -> int:
    """The portal's job: carry out the invitations asked for; answers how many were
    sent."""
    with db.session() as session:
        ids = waiting(session)
    sent = 0
    for invitation_id in ids:
        with db.session(write=True) as session:
            sent += process(session, invitation_id) == "sent"
    return sent


def invite(session: Session, actor: Actor, patient_id: int) -> InvitationView:
    """Staff send the invitation (again): the account is created if there is none, and
    a new link (the older unused ones revoked) goes to the patient's email address."""
    require_role(actor, INVITE_ROLES)
    patient = patients_service.get_for_update(session, actor, patient_id)
    if not patient.email:
        raise InvalidInput({"email": NO_EMAIL})
    account = patient_account(session, patient_id)
    if account is not None and not account.is_active:
        raise InvalidInput({"account": DEACTIVATED + "; an administrator can activate it"})
    row = _ask(session, actor, patient_id, "staff")
    session.commit()
    process(session, row.id)
    return portal_status(session, actor, patient_id)


# --- what staff see on the patient's page ---------------------------------------------------


@dataclass(frozen=True)
class InvitationView:
    has_account: bool
    account_active: bool
    email: str | None
    state: str | None  # of the newest invitation
    reason: str | None
    requested_at: dt.datetime | None
    processed_at: dt.datetime | None
    problem: str | None
    link_expires_at: dt.datetime | None
    link_used_at: dt.datetime | None


def portal_status(session: Session, actor: Actor, patient_id: int) -> InvitationView:
    """The patient's portal account and newest invitation, for staff."""
    require_role(actor, INVITE_ROLES)
    patients_service.get_visible(session, actor, patient_id)
    account = patient_account(session, patient_id)
    newest = session.scalars(
        select(PortalInvitation)
        .where(PortalInvitation.patient_id == patient_id)
        .order_by(PortalInvitation.id.desc())
        .limit(1)
    ).first()
    link = session.get(SignInLink, newest.link_id) if newest and newest.link_id else None
    asked = ("state", "reason", "requested_at", "processed_at", "problem")
    return InvitationView(
        has_account=account is not None,
        account_active=account is not None and account.is_active,
        email=account.email if account else None,
        **{name: getattr(newest, name) if newest else None for name in asked},
        link_expires_at=link.expires_at if link else None,
        link_used_at=link.used_at if link else None,
    )
