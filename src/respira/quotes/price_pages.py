"""HTML pages of the prices: the price lists (every version, one version in full, the
form of a new version, which starts from the newest version or from the one chosen),
and the currency rates with the admin's form for a new rate."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import ValidationError

from respira.kit.web.deps import PageAccess
from respira.kit.web.forms import Refused
from respira.kit.web.routes import Call, Post, posts, uses
from respira.kit.web.templating import gettext_for, request_lang
from respira.quotes import service, views
from respira.quotes.schemas import PriceListIn, PriceListOut, RateIn

router = APIRouter(include_in_schema=False)

READ = uses(PageAccess(*service.PRICE_READ_ROLES))
ADMIN = uses(PageAccess(*service.PRICE_ADMIN_ROLES))
ADMIN_POST = posts(PageAccess(*service.PRICE_ADMIN_ROLES))

ITEM_FIELDS = (
    "code",
    "category",
    "description",
    "unit",
    "unit_price",
    "applies_to",
    "dose_min_million_per_kg",
    "dose_max_million_per_kg",
)
DISCOUNT_FIELDS = ("code", "description", "percent", "amount", "given_by")
# Fields a row always sends (a select with a default) do not make a blank row count.
DEFAULTED = frozenset({"category", "given_by", "unit"})
BLANK_ITEM_ROWS = 5
BLANK_DISCOUNT_ROWS = 2
MAX_ROWS = 300


# --- price lists --------------------------------------------------------------------------------


@router.get("/price-lists")
def price_lists_page(call: Call = READ) -> Response:
    lists = service.list_price_lists(call.session, call.actor)
    return call.render(
        "quotes/price_lists.html",
        {"lists": lists, "can_edit": call.actor.role in service.PRICE_ADMIN_ROLES},
    )


def _text(value: Any) -> str:
    if value is None:
        return ""
    return f"{value:g}" if isinstance(value, float) else str(value)


def _form_of(prices: PriceListOut | None) -> dict[str, str]:
    """A price list as the form's fields (the new version starts from it)."""
    form: dict[str, str] = {
        "valid_from": service.clinic_today().isoformat(),
        "currency": prices.currency if prices else "EUR",
    }
    if prices is None:
        form.update({"severity_factors.mild": "1", "severity_factors.moderate": "1"})
        form["severity_factors.severe"] = "1"
        return form
    for key, value in prices.severity_factors.items():
        form[f"severity_factors.{key}"] = value
    for key, value in prices.comorbidity_surcharge_pct.items():
        form[f"comorbidity_surcharge_pct.{key}"] = value
    for n, item in enumerate(prices.items):
        form.update({f"items.{n}.{name}": _text(getattr(item, name)) for name in ITEM_FIELDS})
    for n, rule in enumerate(prices.discounts):
        form.update(
            {f"discounts.{n}.{name}": _text(getattr(rule, name)) for name in DISCOUNT_FIELDS}
        )
    form["note"] = prices.note or ""
    return form


def _row_count(form: dict[str, str], prefix: str, blank: int) -> int:
    used = {
        int(k.split(".")[1])
        for k in form
        if k.startswith(prefix + ".") and k.split(".")[1].isdigit()
    }
    return min((max(used) + 1 if used else 0) + blank, MAX_ROWS)


def _form_page(
    call: Call,
    form: dict[str, str],
    source: PriceListOut | None,
    refused: Refused | None = None,
) -> Response:
    gettext = gettext_for(call.request)
    context = {
        "form": form,
        "source": source,
        "item_rows": range(_row_count(form, "items", BLANK_ITEM_ROWS)),
        "discount_rows": range(_row_count(form, "discounts", BLANK_DISCOUNT_ROWS)),
        "currencies": service.CURRENCIES,
        "labels": views.LABELS,
        "errors": views.translated(refused.errors if refused else {}, gettext),
    }
    return call.render(
        "quotes/price_list_form.html", context, refused.status_code if refused else 200
    )


@router.get("/price-lists/new")
def new_price_list(call: Call = ADMIN) -> Response:
    raw = call.request.query_params.get("from", "")
    lists = service.list_price_lists(call.session, call.actor)
    source = next((p for p in lists if str(p.id) == raw), lists[0] if lists else None)
    return _form_page(call, _form_of(source), source)


def _rows(
    data: dict[str, str], prefix: str, fields: tuple[str, ...]
) -> tuple[list[dict[str, str]], list[int]]:
    """The form's filled rows of a list (``items.<n>.<field>``) and their row numbers."""
    rows, numbers = [], []
    for n in range(MAX_ROWS):
        row = {f: data.get(f"{prefix}.{n}.{f}", "").strip() for f in fields}
        if any(v for k, v in row.items() if k not in DEFAULTED):
            rows.append({k: v for k, v in row.items() if v})
            numbers.append(n)
    return rows, numbers


def _price_list_body(data: dict[str, str]) -> tuple[dict[str, Any], dict[str, list[int]]]:
    items, item_rows = _rows(data, "items", ITEM_FIELDS)
    discounts, discount_rows = _rows(data, "discounts", DISCOUNT_FIELDS)
    body: dict[str, Any] = {
        "currency": data.get("currency", ""),
        "valid_from": data.get("valid_from", ""),
        "valid_until": data.get("valid_until", ""),
        "note": data.get("note", ""),
        "severity_factors": {s: data.get(f"severity_factors.{s}", "") for s in service.SEVERITIES},
        "comorbidity_surcharge_pct": {
            c: data[f"comorbidity_surcharge_pct.{c}"]
            for c in service.COMORBIDITIES
            if data.get(f"comorbidity_surcharge_pct.{c}", "").strip()
        },
        "items": items,
        "discounts": discounts,
    }
    return body, {"items": item_rows, "discounts": discount_rows}


@router.post("/price-lists")
def create_price_list(post: Post = ADMIN_POST) -> Response:
    body, rows = _price_list_body(post.data)
    try:
        parsed = PriceListIn.model_validate(body)
    except ValidationError as exc:
        outcome: Any = Refused(views.renamed(views.dotted_errors(exc), rows), 422, False)
    else:
        outcome = post.attempt(lambda: service.create_price_list(post.session, post.actor, parsed))
        if isinstance(outcome, Refused):
            outcome = Refused(views.renamed(outcome.errors, rows), outcome.status_code, False)
    return post.answer(
        outcome,
        lambda refused: _form_page(post, post.data, None, refused),
        lambda made: f"/price-lists/{made.id}?created=1",
    )


@router.get("/price-lists/{price_list_id}")
def price_list_page(price_list_id: int, call: Call = READ) -> Response:
    prices = service.get_price_list(call.session, call.actor, price_list_id)
    lang = request_lang(call.request)
    return call.render(
        "quotes/price_list.html",
        {
            "p": prices,
            "amounts": {
                i.code: service.amount_for(i.unit_price, prices.currency, lang)
                for i in prices.items
            },
            "labels": views.LABELS,
            "can_edit": call.actor.role in service.PRICE_ADMIN_ROLES,
            "created": call.request.query_params.get("created") == "1",
            "created_at": views.clinic_time(prices.created_at, lang),
        },
    )


# --- currency rates -------------------------------------------------------------------------------


def _rates_page(
    call: Call, form: dict[str, str] | None = None, refused: Refused | None = None
) -> Response:
    gettext = gettext_for(call.request)
    context = {
        "rates": service.list_rates(call.session, call.actor),
        "form": form
        if form is not None
        else {"from_currency": "EUR", "on_date": service.clinic_today().isoformat()},
        "currencies": service.CURRENCIES,
        "can_edit": call.actor.role in service.PRICE_ADMIN_ROLES,
        "saved": call.request.query_params.get("saved") == "1",
        "errors": views.translated(refused.errors if refused else {}, gettext),
    }
    return call.render("quotes/rates.html", context, refused.status_code if refused else 200)


@router.get("/currency-rates")
def rates_page(call: Call = READ) -> Response:
    return _rates_page(call)


@router.post("/currency-rates")
def add_rate(post: Post = ADMIN_POST) -> Response:
    fields = {
        k: post.data.get(k, "")
        for k in ("from_currency", "to_currency", "rate", "on_date", "source")
    }
    outcome = post.submit(RateIn, fields, service.add_rate)
    return post.answer(
        outcome, lambda refused: _rates_page(post, fields, refused), "/currency-rates?saved=1"
    )
