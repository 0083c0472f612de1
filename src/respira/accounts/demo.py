"""The demo clinic's accounts: one per staff role and one patient account for the first
demo patient. Passwords are random and printed once by ``respira demo seed``."""

from __future__ import annotations

import secrets

from respira.accounts import service
from respira.kit.actors import Actor, Role
from respira.kit.step import DemoContext
from respira.patients import service as patients_service

DEMO_DOMAIN = "demo.respira.example"

STAFF = (
    (Role.ADMIN, "Ada Admin"),
    (Role.PHYSICIAN, "Dr. Paula Pulmo"),
    (Role.NURSE, "Nina Nurse"),
    (Role.COORDINATOR, "Carla Coordinator"),
    (Role.LAB, "Leo Lab"),
)


def _password() -> str:
    return secrets.token_urlsafe(12)


def seed(ctx: DemoContext) -> None:
    system = Actor.system("respira-demo")
    for role, name in STAFF:
        password = _password()
        email = f"{role.value}@{DEMO_DOMAIN}"
        view = service.create_user(
            ctx.session, system, email=email, name=name, role=role, password=password
        )
        ctx.printed_accounts.append((role.value, email, password))
        ctx.accounts[role.value] = (Actor(view.id, view.role, view.name), password)
    if not ctx.patient_ids:
        return
    first = patients_service.get_patient(ctx.session, system, ctx.patient_ids[0])
    password = _password()
    email = f"patient@{DEMO_DOMAIN}"
    view = service.create_user(
        ctx.session,
        system,
        email=email,
        name=f"{first.first_name} {first.last_name}",
        role=Role.PATIENT,
        password=password,
        patient_id=first.id,
    )
    ctx.printed_accounts.append((Role.PATIENT.value, email, password))
    ctx.accounts[Role.PATIENT.value] = (
        Actor(view.id, view.role, view.name, patient_id=first.id),
        password,
    )
