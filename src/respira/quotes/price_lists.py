"""Price lists: versioned data an admin writes. Each save is a new version (numbered
1, 2, 3 ... across currencies); an old version is never changed, so a quote always
shows the prices it was made from. A version is in force from ``valid_from`` to
``valid_until`` (both days included; open-ended without one) on the clinic's calendar;
a quote uses the newest version in force, of the currency asked for, unless it names
one."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from respira.kit import records
from respira.kit.actors import Actor, require_role
from respira.kit.clinic_time import clinic_today
from respira.kit.errors import InvalidInput, NotFound
from respira.kit.rows import from_row
from respira.kit.trail import Trail
from respira.quotes import money, pricing
from respira.quotes.models import PriceList, PriceListDiscount, PriceListItem
from respira.quotes.roles import PRICE_ADMIN_ROLES, PRICE_READ_ROLES
from respira.quotes.schemas import DiscountRuleOut, ItemOut, PriceListIn, PriceListOut

TRAIL = Trail("price_list")


def in_force_on(row: PriceList, day: dt.date) -> bool:
    return row.valid_from <= day and (row.valid_until is None or day <= row.valid_until)


def price_list_out(row: PriceList, today: dt.date | None = None) -> PriceListOut:
    cur = row.currency
    return from_row(
        PriceListOut,
        row,
        in_force=in_force_on(row, today or clinic_today()),
        items=[
            from_row(ItemOut, i, unit_price=money.text(i.unit_price_minor, cur)) for i in row.items
        ],
        discounts=[
            from_row(
                DiscountRuleOut,
                d,
                amount=None if d.amount_minor is None else money.text(d.amount_minor, cur),
            )
            for d in row.discounts
        ],
        created_by=row.created_by_name,
    )


def tariff(row: PriceList) -> pricing.Tariff:
    """The price list as pricing reads it."""
    return pricing.Tariff(
        version=row.version,
        currency=row.currency,
        items=tuple(
            pricing.Item(
                code=i.code,
                category=i.category,
                description=i.description,
                unit=i.unit,
                unit_price_minor=i.unit_price_minor,
                applies_to=i.applies_to,
                dose_min=i.dose_min_million_per_kg,
                dose_max=i.dose_max_million_per_kg,
            )
            for i in row.items
        ),
        severity_factors={k: Decimal(v) for k, v in row.severity_factors.items()},
        surcharges={k: Decimal(v) for k, v in row.comorbidity_surcharge_pct.items()},
        discounts=tuple(
            pricing.Discount(
                code=d.code,
                description=d.description,
                percent=None if d.percent is None else Decimal(d.percent),
                amount_minor=d.amount_minor,
                given_by=d.given_by,
            )
            for d in row.discounts
        ),
    )


def create_price_list(session: Session, actor: Actor, data: PriceListIn) -> PriceListOut:
    """Save a new version (the next number); the versions before it stay as they are."""
    require_role(actor, PRICE_ADMIN_ROLES)
    problems = data.problems()
    if problems:
        raise InvalidInput(problems)
    cur = data.currency
    newest = session.scalar(select(func.max(PriceList.version))) or 0
    row = PriceList(
        version=newest + 1,
        currency=cur,
        valid_from=data.valid_from,
        valid_until=data.valid_until,
        severity_factors={k: money.plain(v) for k, v in data.severity_factors.model_dump().items()},
        comorbidity_surcharge_pct={
            k: money.plain(v) for k, v in data.comorbidity_surcharge_pct.items()
        },
        note=data.note,
        created_by_id=actor.user_id,
        created_by_name=actor.name,
        items=[
            PriceListItem(
                position=n,
                unit_price_minor=money.to_minor(i.unit_price, cur),
                **i.model_dump(exclude={"unit_price"}),
            )
            for n, i in enumerate(data.items)
        ],
        discounts=[
            PriceListDiscount(
                position=n,
                code=d.code,
                description=d.description,
                percent=None if d.percent is None else money.plain(d.percent),
                amount_minor=None if d.amount is None else money.to_minor(d.amount, cur),
                given_by=d.given_by,
            )
            for n, d in enumerate(data.discounts)
        ],
    )
    with records.flush_or_conflict(
        session, "another price list version was saved at the same moment; reload and save again"
    ):
        session.add(row)
    out = price_list_out(row)
    TRAIL.record(session, actor, row.id, "create", after=out.model_dump(mode="json"))
    session.commit()
    return out


def list_price_lists(session: Session, actor: Actor) -> list[PriceListOut]:
    """Every version, newest first."""
    require_role(actor, PRICE_READ_ROLES)
    today = clinic_today()
    rows = session.scalars(select(PriceList).order_by(PriceList.version.desc())).all()
    return [price_list_out(r, today) for r in rows]


def load(session: Session, price_list_id: int) -> PriceList:
    row = session.get(PriceList, price_list_id)
    if row is None:
        raise NotFound("no such price list")
    return row


def get_price_list(session: Session, actor: Actor, price_list_id: int) -> PriceListOut:
    require_role(actor, PRICE_READ_ROLES)
    return price_list_out(load(session, price_list_id))


def newest_in_force(
    session: Session, day: dt.date, currency: str | None = None
) -> PriceList | None:
    """The newest version in force on ``day`` (of ``currency``, when given)."""
    query = select(PriceList).where(
        PriceList.valid_from <= day,
        (PriceList.valid_until.is_(None)) | (PriceList.valid_until >= day),
    )
    if currency is not None:
        query = query.where(PriceList.currency == currency)
    return session.scalars(query.order_by(PriceList.version.desc()).limit(1)).first()


def for_quote(
    session: Session, price_list_id: int | None, currency: str | None, day: dt.date
) -> PriceList:
    """The price list a quote made on ``day`` uses: the one named (which must be in
    force), else the newest in force (of the currency asked for)."""
    if price_list_id is not None:
        row = session.get(PriceList, price_list_id)
        if row is None:
            raise InvalidInput({"price_list_id": "no such price list"})
        if not in_force_on(row, day):
            until = row.valid_until.isoformat() if row.valid_until else "open-ended"
            raise InvalidInput(
                {
                    "price_list_id": f"price list version {row.version} is valid from "
                    f"{row.valid_from.isoformat()} to {until}, not on {day.isoformat()}"
                }
            )
        if currency is not None and row.currency != currency:
            raise InvalidInput(
                {"currency": f"price list version {row.version} is in {row.currency}"}
            )
        return row
    found = newest_in_force(session, day, currency)
    if found is None:
        which = f"in {currency} " if currency else ""
        raise InvalidInput(
            {
                "price_list_id": f"no price list {which}is in force on {day.isoformat()}: "
                "an admin adds one under Price lists"
            }
        )
    return found
