"""Currency rates an admin enters (a rate, its date and where it came from), and amounts
shown in another currency with them, for information only: a quote and its invoice
are payable in their own currency.

A conversion uses the newest rate dated on or before the day asked for, of the pair as
entered or of the reverse pair (one over its rate), and rounds once
(``money.round_half_up``); it shows the rate and its date with the amount."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, localcontext

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from respira.kit.actors import Actor, require_role
from respira.kit.errors import InvalidInput
from respira.kit.rows import from_row
from respira.kit.trail import Trail
from respira.quotes import money
from respira.quotes.models import CurrencyRate
from respira.quotes.roles import PRICE_ADMIN_ROLES, PRICE_READ_ROLES, READ_ROLES
from respira.quotes.schemas import Converted, RateIn, RateOut

TRAIL = Trail("currency_rate")
# Significant digits of a reversed rate (1 / rate): more than any rate is entered with.
REVERSE_DIGITS = 12


def rate_out(row: CurrencyRate) -> RateOut:
    return from_row(RateOut, row, created_by=row.created_by_name)


def add_rate(session: Session, actor: Actor, data: RateIn) -> RateOut:
    require_role(actor, PRICE_ADMIN_ROLES)
    problems = data.problems()
    if problems:
        raise InvalidInput(problems)
    row = CurrencyRate(
        from_currency=data.from_currency,
        to_currency=data.to_currency,
        rate=money.plain(data.rate),
        on_date=data.on_date,
        source=data.source,
        created_by_id=actor.user_id,
        created_by_name=actor.name,
    )
    session.add(row)
    session.flush()
    out = rate_out(row)
    TRAIL.record(session, actor, row.id, "create", after=out.model_dump(mode="json"))
    session.commit()
    return out


def list_rates(session: Session, actor: Actor, limit: int = 200) -> list[RateOut]:
    """The rates, newest date first."""
    require_role(actor, PRICE_READ_ROLES)
    newest_first = select(CurrencyRate).order_by(
        CurrencyRate.on_date.desc(), CurrencyRate.id.desc()
    )
    rows = session.scalars(newest_first.limit(limit)).all()
    return [rate_out(r) for r in rows]


def rate_for(
    session: Session, from_currency: str, to_currency: str, on: dt.date
) -> tuple[Decimal, CurrencyRate] | None:
    """The rate (units of ``to_currency`` per unit of ``from_currency``) of the newest
    entry on or before ``on``, of the pair or its reverse; None without one."""
    row = session.scalars(
        select(CurrencyRate)
        .where(
            CurrencyRate.on_date <= on,
            or_(
                (CurrencyRate.from_currency == from_currency)
                & (CurrencyRate.to_currency == to_currency),
                (CurrencyRate.from_currency == to_currency)
                & (CurrencyRate.to_currency == from_currency),
            ),
        )
        .order_by(CurrencyRate.on_date.desc(), CurrencyRate.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    rate = Decimal(row.rate)
    if row.from_currency != from_currency:
        with localcontext() as ctx:
            ctx.prec = REVERSE_DIGITS
            rate = Decimal(1) / rate
    return rate, row


def converted(
    session: Session, actor: Actor, amount: str, currency: str, target: str, on: dt.date
) -> Converted | None:
    """``amount`` (the API's text, in ``currency``) shown in ``target``, for
    information; None without a rate."""
    require_role(actor, READ_ROLES)
    if target == currency:
        return None
    found = rate_for(session, currency, target, on)
    if found is None:
        return None
    rate, row = found
    minor = money.convert(money.to_minor(amount, currency), currency, rate, target)
    return Converted(
        currency=target,
        amount=money.text(minor, target),
        from_currency=currency,
        rate=money.plain(rate),
        on_date=row.on_date,
        source=row.source,
    )
