"""The demo clinic's prices and quotes, made through the real use cases.

- The demo admin saves two EUR price lists: version 1 (in force until a month ago) and
  version 2 (in force now). Prices are invented but plausible: a full course from the
  approved courses of the demo comes to about €10,000–14,000, inside the €7,000–31,000
  the clinic publishes for itself. The admin also enters rates to USD, GBP and CHF.
- The demo coordinator makes quotes in every state, for patients with an approved course
  (priced from it) and, after those, patients without one (a provisional plan):
  the demo patient's own quote sent (so that signing in as the demo patient shows it);
  one accepted on signed paper, invoiced, with a deposit paid; one accepted by email
  and waiting for its stay to be booked (the logistics demo books it, which
  issues its invoice); a draft; a quote re-issued (version 1 superseded, version 2
  sent); one declined; and one expired — made 45 days ago with a validity that ended
  15 days ago (the demo is seeded in one sitting, so the quote's dates are moved back,
  as the follow-up demo moves its check-ins back).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import update

from respira.kit.actors import Actor
from respira.kit.db import utcnow
from respira.kit.step import DemoContext
from respira.protocols import service as protocols_service
from respira.quotes import service
from respira.quotes.models import Quote
from respira.quotes.schemas import (
    AcceptIn,
    CreditNoteIn,
    DeclineIn,
    PaymentIn,
    PriceListIn,
    QuoteIn,
    RateIn,
)

# (code, category, description, unit, unit price in EUR, applies to, dose band)
ITEMS: tuple[tuple[str, str, str, str, str, str | None, tuple[float, float] | None], ...] = (
    ("CONS", "consultation", "Physician consultation", "consultation", "250.00", None, None),
    ("CONS-ONLINE", "consultation", "Online consultation", "consultation", "120.00", None, None),
    (
        "DX-SPIRO",
        "diagnostic_test",
        "Spirometry with bronchodilator test",
        "test",
        "180.00",
        None,
        None,
    ),
    ("DX-T2", "diagnostic_test", "Blood count, IgE and eosinophils", "panel", "220.00", None, None),
    ("DX-FENO", "diagnostic_test", "Exhaled nitric oxide (FeNO)", "test", "90.00", None, None),
    ("DX-CT", "diagnostic_test", "Chest CT", "study", "450.00", None, None),
    (
        "CELLS-CORD-1",
        "cell_course",
        "Cord MSC dose, 0.5–1.5 ×10^6 cells/kg",
        "dose",
        "3200.00",
        "allogeneic_cord",
        (0.5, 1.5),
    ),
    (
        "CELLS-CORD-2",
        "cell_course",
        "Cord MSC dose, 1.51–3.0 ×10^6 cells/kg",
        "dose",
        "4100.00",
        "allogeneic_cord",
        (1.51, 3.0),
    ),
    (
        "CELLS-BM",
        "cell_course",
        "Bone marrow MSC dose (own cells), 0.5–3.0 ×10^6 cells/kg",
        "dose",
        "5200.00",
        "autologous_bone_marrow",
        (0.5, 3.0),
    ),
    (
        "CELLS-AD",
        "cell_course",
        "Adipose MSC dose (own cells), 0.5–3.0 ×10^6 cells/kg",
        "dose",
        "4900.00",
        "autologous_adipose",
        (0.5, 3.0),
    ),
    ("INF", "infusion", "IV infusion with monitoring", "infusion", "450.00", None, None),
    (
        "NEB",
        "nebulisation",
        "Nebulised cell dose with monitoring",
        "nebulisation",
        "600.00",
        None,
        None,
    ),
    (
        "SUP-PHYSIO",
        "supporting_modality",
        "Physiotherapy",
        "session",
        "60.00",
        "physiotherapy",
        None,
    ),
    (
        "SUP-KINESIO",
        "supporting_modality",
        "Kinesiotherapy",
        "session",
        "55.00",
        "kinesiotherapy",
        None,
    ),
    (
        "SUP-LASER",
        "supporting_modality",
        "Low-level laser therapy",
        "session",
        "70.00",
        "low_level_laser",
        None,
    ),
    (
        "SUP-DRAIN",
        "supporting_modality",
        "Lymphatic drainage",
        "session",
        "65.00",
        "lymphatic_drainage",
        None,
    ),
    (
        "SUP-HYPOXY",
        "supporting_modality",
        "Hypoxy-hyperoxy therapy",
        "session",
        "85.00",
        "hypoxy_hyperoxy",
        None,
    ),
    ("ROOM-STD", "stay_night", "Ward room, standard", "night", "140.00", "standard", None),
    (
        "ROOM-COMFORT",
        "stay_night",
        "Ward room, comfort (single)",
        "night",
        "210.00",
        "comfort",
        None,
    ),
    ("MEALS", "meals_day", "Meals, medically appropriate diet", "day", "35.00", None, None),
    ("INTERP", "interpreter_day", "Interpreter", "day", "180.00", None, None),
    ("TRANSFER", "transfer", "Airport transfer", "transfer", "90.00", None, None),
    ("COMPANION", "companion_stay", "Companion's stay in the room", "night", "70.00", None, None),
)


def price_list_body(
    valid_from: dt.date, valid_until: dt.date | None, *, rise_pct: int = 0
) -> PriceListIn:
    """The demo's EUR price list (prices ``rise_pct`` per cent higher than version 1's)."""

    def priced(text: str) -> str:
        value = Decimal(text) * (100 + rise_pct) / 100
        return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))

    return PriceListIn.model_validate(
        {
            "currency": "EUR",
            "valid_from": valid_from.isoformat(),
            "valid_until": valid_until.isoformat() if valid_until else None,
            "items": [
                {
                    "code": code,
                    "category": category,
                    "description": description,
                    "unit": unit,
                    "unit_price": priced(price),
                    "applies_to": applies_to,
                    "dose_min_million_per_kg": band[0] if band else None,
                    "dose_max_million_per_kg": band[1] if band else None,
                }
                for code, category, description, unit, price, applies_to, band in ITEMS
            ],
            "severity_factors": {"mild": "1.00", "moderate": "1.10", "severe": "1.25"},
            "comorbidity_surcharge_pct": {
                "cardiovascular": "10",
                "renal": "12",
                "hepatic": "10",
                "metabolic": "5",
                "chronic_lung": "8",
                "immunological": "8",
                "obesity": "5",
            },
            "discounts": [
                {"code": "EARLY", "description": "Early booking", "percent": "5"},
                {
                    "code": "HARDSHIP",
                    "description": "Hardship reduction",
                    "percent": "10",
                    "given_by": "admin",
                },
                {"code": "RETURNING", "description": "Returning patient", "amount": "500.00"},
            ],
            "note": "Demo prices (invented).",
        }
    )


RATES = (("USD", "1.0850"), ("GBP", "0.8420"), ("CHF", "0.9380"))
# The extras a quote adds to its course: consultation, tests, interpreter, transfers.
EXTRAS = [
    {"code": "CONS", "quantity": "1"},
    {"code": "DX-SPIRO", "quantity": "1"},
    {"code": "DX-T2", "quantity": "1"},
    {"code": "INTERP", "quantity": "2"},
    {"code": "TRANSFER", "quantity": "2"},
]
PLAN = {
    "source": "allogeneic_cord",
    "infusions": 2,
    "dose_million_cells_per_kg": 1.0,
    "nebulisations": 1,
    "stay_days": 7,
    "supporting": {"physiotherapy": 3},
}


def _patients(ctx: DemoContext, actor: Actor) -> list[tuple[int, int | None]]:
    """(patient, approved course or None): the patients with an approved course, then
    the others."""
    with_course: list[tuple[int, int | None]] = []
    without: list[tuple[int, int | None]] = []
    for pid in ctx.patient_ids:
        approved = [
            c
            for c in protocols_service.list_courses(ctx.session, actor, pid)
            if c.status == "approved"
        ]
        (with_course if approved else without).append((pid, approved[0].id if approved else None))
    return with_course + without


def seed(ctx: DemoContext) -> None:
    admin, _ = ctx.accounts["admin"]
    coordinator, _ = ctx.accounts["coordinator"]
    s = ctx.session
    today = service.clinic_today()
    service.create_price_list(
        s, admin, price_list_body(today - dt.timedelta(days=400), today - dt.timedelta(days=31))
    )
    current = service.create_price_list(
        s,
        admin,
        price_list_body(today - dt.timedelta(days=30), today + dt.timedelta(days=400), rise_pct=4),
    )
    for target, rate in RATES:
        service.add_rate(
            s,
            admin,
            RateIn.model_validate(
                {
                    "from_currency": "EUR",
                    "to_currency": target,
                    "rate": rate,
                    "on_date": today.isoformat(),
                    "source": "demo rate (invented)",
                }
            ),
        )
    made = 0

    def quote(pid: int, course_id: int | None, **changes: Any) -> Any:
        nonlocal made
        body: dict[str, Any] = {
            "price_list_id": current.id,
            "lines": EXTRAS,
            "severity": "moderate",
            **changes,
        }
        if course_id is not None:
            body["course_id"] = course_id
        else:
            body["provisional"] = PLAN
        made += 1
        return service.create_quote(s, coordinator, pid, QuoteIn.model_validate(body))

    patients = _patients(ctx, coordinator)
    patients.sort(key=lambda pair: pair[0] != (ctx.patient_ids[0] if ctx.patient_ids else None))
    scenarios: list[Callable[[int, int | None], None]] = [
        lambda pid, course: _sent(s, coordinator, quote(pid, course)),
        lambda pid, course: _invoiced(s, coordinator, quote(pid, course, comorbidities=["renal"])),
        lambda pid, course: _accepted(s, coordinator, quote(pid, course)),
        lambda pid, course: quote(pid, course, severity="severe"),
        lambda pid, course: _reissued(s, coordinator, quote(pid, None), course),
        lambda pid, course: _declined(s, coordinator, quote(pid, course)),
        lambda pid, course: _expired(s, coordinator, quote(pid, course)),
    ]
    for scenario, (pid, course) in zip(scenarios, patients, strict=False):
        scenario(pid, course)
    ctx.counts["quotes"] = made


def _sent(s: Any, actor: Actor, q: Any) -> Any:
    return service.send_quote(s, actor, q.id)


def _invoiced(s: Any, actor: Actor, q: Any) -> None:
    _sent(s, actor, q)
    service.accept_quote(s, actor, q.id, AcceptIn(how="signed_paper", note="Signed at the clinic"))
    invoice = service.issue_invoice(s, actor, q.id)
    deposit = (int(invoice.total.split(".")[0]) * 3) // 10
    service.record_payment(
        s,
        actor,
        invoice.id,
        PaymentIn.model_validate(
            {
                "amount": f"{deposit}.00",
                "paid_on": service.clinic_today().isoformat(),
                "method": "bank_transfer",
                "reference": "Deposit, 30 per cent",
            }
        ),
    )
    service.issue_credit_note(
        s,
        actor,
        invoice.id,
        CreditNoteIn(amount="90.00", reason="One airport transfer was not needed"),
    )


def _accepted(s: Any, actor: Actor, q: Any) -> None:
    _sent(s, actor, q)
    service.accept_quote(s, actor, q.id, AcceptIn(how="email", note="Accepted by email"))


def _reissued(s: Any, actor: Actor, q: Any, course_id: int | None) -> None:
    """A provisional quote sent, then re-issued (from the course when there is one, else
    as it was)."""
    _sent(s, actor, q)
    body = service.quote_form(q)
    if course_id is not None:
        body = QuoteIn.model_validate(
            {"course_id": course_id, "lines": EXTRAS, "severity": q.severity}
        )
    newer = service.reissue_quote(s, actor, q.id, body)
    _sent(s, actor, newer)


def _declined(s: Any, actor: Actor, q: Any) -> None:
    _sent(s, actor, q)
    service.decline_quote(s, actor, q.id, DeclineIn(reason="Chose to be treated nearer home"))


def _expired(s: Any, actor: Actor, q: Any) -> None:
    _sent(s, actor, q)
    now = utcnow()
    s.execute(
        update(Quote)
        .where(Quote.id == q.id)
        .values(
            created_at=now - dt.timedelta(days=45),
            sent_at=now - dt.timedelta(days=45),
            valid_until=service.clinic_today() - dt.timedelta(days=15),
        )
    )
    s.commit()
