"""Consultation requests of the demo clinic: a dozen invented people from the clinic's
main countries, in their languages, at every step of triage (new, contacted,
scheduled, declined with a reason, and one converted into a patient), so that a
newcomer sees a living queue. Everything here is synthetic."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.orm import Session

from respira.intake import service
from respira.intake.messages import CONSENT_TEXT_VERSION
from respira.intake.schemas import ConsultationRequestIn
from respira.kit.actors import Actor
from respira.kit.db import utcnow
from respira.kit.rows import from_row
from respira.kit.step import DemoContext
from respira.patients.schemas import PatientIn


@dataclass(frozen=True)
class _Demo:
    kind: Literal["consultation", "callback"]
    name: str
    country: str
    language: str
    email: str | None
    phone: str | None
    contact_time: str | None
    description: str | None
    status: str
    decline_reason: str | None = None
    notes: str | None = None


_REQUESTS = [
    _Demo(
        "consultation", "Katharina Vogel", "DE", "de", "k.vogel@mail.example", None,
        "werktags ab 18 Uhr",
        "Asthma seit der Kindheit, seit zwei Jahren trotz hochdosiertem ICS/LABA schlecht "
        "kontrolliert. Im letzten Jahr zweimal im Krankenhaus, Notfallspray fast täglich.",
        "new",
    ),
    _Demo(
        "callback", "Дмитрий Соколов", "RU", "ru", None, "+7 495 123-45-67",
        "после 19:00 по Москве", None, "new",
    ),
    _Demo(
        "consultation", "Aigerim Nurlanova", "KZ", "ru", "aigerim.n@mail.example",
        "+7 727 2501234", None,
        "Астма 8 лет. Будесонид/формотерол, монтелукаст. За последний год три обострения, "
        "два курса преднизолона.",
        "new",
    ),
    _Demo(
        "consultation", "Oliver Bennett", "GB", "en", "oliver.bennett@mail.example", None,
        "mornings, UK time",
        "Severe asthma since 2015 on high-dose inhaled steroids and tiotropium; four courses "
        "of oral steroids last year. Mepolizumab stopped after 12 months (no benefit).",
        "new",
    ),
    _Demo(
        "consultation", "Lukas Hoffmann", "AT", "de", "lukas.h@mail.example",
        "+43 1 5812345", None,
        "Allergisches Asthma (Hausstaub, Birke), seit 2019 zunehmend. Salbutamol 3–4× pro "
        "Woche, nachts oft wach.",
        "contacted", notes="Called 2× — asked for his last spirometry report.",
    ),
    _Demo(
        "callback", "Olena Kovalenko", "UA", "uk", None, "+380 44 2345678",
        "будні дні після 17:00", None, "contacted",
    ),
    _Demo(
        "consultation", "Fatima Haddad", "AE", "ar", "fatima.haddad@mail.example",
        "+971 4 3456789", "evenings (Gulf time)",
        "Asthma since age 12, worse in summer. On budesonide/formoterol and montelukast; "
        "ER visits twice this year.",
        "contacted",
    ),
    _Demo(
        "consultation", "Ирина Волкова", "RU", "ru", "i.volkova@mail.example",
        "+7 812 3456789", "будни, 10:00–14:00",
        "Бронхиальная астма 15 лет, эозинофильный фенотип. Высокие дозы ИГКС, "
        "омализумаб в 2022 году без эффекта.",
        "scheduled", notes="Online consultation with Dr. Pulmo booked.",
    ),
    _Demo(
        "consultation", "James Miller", "US", "en", "j.miller@mail.example",
        "+1 415 5550134", "afternoons Pacific time",
        "Moderate-to-severe asthma, on Advair and Spiriva. Two hospitalisations in 2025.",
        "scheduled",
    ),
    _Demo(
        "consultation", "Marie Lefèvre", "FR", "fr", "marie.lefevre@mail.example", None,
        None,
        "Asthme léger, bien contrôlé par un traitement de fond à faible dose ; je voudrais "
        "savoir si la thérapie cellulaire pourrait l'arrêter.",
        "declined",
        decline_reason="Mild asthma, well controlled on low-dose ICS: the programme is for "
        "asthma uncontrolled despite standard care. Advised to continue with her physician.",
    ),
    _Demo(
        "callback", "Sergei Popov", "RU", "ru", None, "+7 383 2223344", None, None,
        "declined",
        decline_reason="Duplicate of an earlier call-back request; answered there.",
    ),
    _Demo(
        "consultation", "Anna Schneider", "DE", "de", "anna.schneider@mail.example",
        "+49 30 1234567", "vormittags",
        "Schweres eosinophiles Asthma seit 2016, Dupilumab seit 2023 mit Teilansprechen, "
        "weiterhin 3 Exazerbationen pro Jahr.",
        "converted",
    ),
]  # fmt: skip


# The statuses a request passes through on its way to its demo status.
_PATH = {
    "new": (),
    "contacted": ("contacted",),
    "scheduled": ("contacted", "scheduled"),
    "declined": ("contacted",),
    "converted": ("contacted", "scheduled"),
}


def seed_demo(session: Session, rng: random.Random) -> int:
    """Add the demo clinic's consultation requests in the caller's transaction (the
    caller commits). Returns the number of requests added."""
    actor = Actor.system("respira-demo")
    now = utcnow()
    for demo in _REQUESTS:
        received = now - dt.timedelta(hours=rng.randint(2, 24 * 21))
        data = from_row(
            ConsultationRequestIn,
            demo,
            preferred_language=demo.language,
            preferred_contact_time=demo.contact_time,
            consent=True,
            consent_text_version=CONSENT_TEXT_VERSION,
        )
        req = service.add_request(
            session,
            actor,
            data,
            channel=rng.choice(("web", "web", "web", "api")),
            language=demo.language if demo.language in ("en", "de", "ru") else "en",
            now=received,
        )
        if demo.notes:
            service.apply_change(session, actor, req, {"notes": demo.notes})
        for status in _PATH[demo.status]:
            service.apply_change(session, actor, req, {"status": status})
        if demo.status == "declined":
            change = {"status": "declined", "decline_reason": demo.decline_reason}
            service.apply_change(session, actor, req, change)
        if demo.status == "converted":
            first, last = service.split_name(demo.name)
            patient = PatientIn(
                first_name=first,
                last_name=last,
                date_of_birth=dt.date(1978, 5, 17),
                sex_at_birth="female",
                country=demo.country,
                preferred_language=demo.language,
                email=demo.email,
                phone=demo.phone,
                height_cm=167.0,
                weight_kg=63.5,
            )
            service.convert_in_transaction(session, actor, req, patient, reason="demo clinic")
    session.flush()
    return len(_REQUESTS)


def seed(ctx: DemoContext) -> None:
    ctx.counts["consultation requests"] = seed_demo(ctx.session, ctx.rng)
