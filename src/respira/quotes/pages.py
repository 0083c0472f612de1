"""HTML pages of the quotes for staff: the list of quotes, the quote builder (from an
approved course, from a provisional plan, or from the price list's items alone), a
quote's page (its lines and total, the PDF, sending it, recording the acceptance or the
refusal, re-issuing it, invoicing it) and the "Quotes and invoices" section of the
patient's page.

The builder lists every item of the price list with a quantity box (``qty.<code>``),
filled from what the course or the plan proposes; what the boxes hold when the form is
sent is the quote's lines."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from respira.intake import service as intake_service
from respira.kit import i18n
from respira.kit.actors import Actor
from respira.kit.errors import InvalidInput, NotFound
from respira.kit.marks import N_
from respira.kit.texts import patient_language
from respira.kit.web.deps import PageAccess
from respira.kit.web.forms import Refused
from respira.kit.web.routes import Call, Post, posts, uses
from respira.kit.web.templating import gettext_for, patient_banner, request_lang
from respira.patients import service as patients_service
from respira.patients.schemas import PatientOut
from respira.protocols import service as protocols_service
from respira.quotes import service, views
from respira.quotes.api import pdf_response
from respira.quotes.schemas import AcceptIn, DeclineIn, ProvisionalPlanIn, QuoteIn, QuoteOut

router = APIRouter(include_in_schema=False)

STAFF = uses(PageAccess(*service.STAFF_READ_ROLES))
WRITE = uses(PageAccess(*service.WRITE_ROLES))
WRITE_POST = posts(PageAccess(*service.WRITE_ROLES))
# The categories a course or a plan proposes: a new version that asks for a proposal
# takes these from it, and keeps the quote's other lines (consultations, tests, travel).
PLANNED = frozenset(
    {"cell_course", "infusion", "nebulisation", "supporting_modality", "stay_night", "meals_day"}
)
PLAN_FIELDS = ("source", "infusions", "dose_million_cells_per_kg", "nebulisations", "stay_days")
DONE = {
    "created": N_("The quote was made as a draft. Check it, then send it to the patient."),
    "sent": N_("The quote was sent: the patient has an email with a link to it."),
    "accepted": N_("The acceptance was recorded."),
    "declined": N_("The refusal was recorded."),
    "reissued": N_("The new version was made as a draft; the version before it is superseded."),
}


# --- the patient's page -------------------------------------------------------------------


def patient_section(session: Session, actor: Actor, patient: PatientOut) -> dict[str, Any] | None:
    if actor.role not in service.STAFF_READ_ROLES:
        return None
    courses = [
        c
        for c in protocols_service.list_courses(session, actor, patient.id)
        if c.status == "approved"
    ]
    quotes = service.list_quotes(session, actor, patient.id)
    invoices = service.list_invoices(session, actor, patient.id)
    return {
        "patient_id": patient.id,
        "quotes": quotes,
        "invoices": invoices,
        "courses": courses,
        "can_write": actor.role in service.WRITE_ROLES,
        "labels": views.LABELS,
    }


# --- the list of quotes -----------------------------------------------------------------------


@router.get("/quotes")
def quotes_page(call: Call = STAFF) -> Response:
    state = call.request.query_params.get("state") or None
    state = state if state in service.STATES else None
    quotes = service.recent_quotes(call.session, call.actor, state=state)
    names = {}
    for q in quotes:
        if q.patient_id not in names:
            p = patients_service.get_patient(call.session, call.actor, q.patient_id)
            names[q.patient_id] = f"{p.last_name}, {p.first_name}"
    return call.render(
        "quotes/list.html",
        {
            "quotes": quotes,
            "names": names,
            "made": {q.id: service.clinic_day(q.created_at) for q in quotes},
            "shown": views.shown_amounts(quotes, ("total",), request_lang(call.request)),
            "state": state,
            "labels": views.LABELS,
        },
    )


# --- the builder ------------------------------------------------------------------------------


def _plan(params: Any) -> tuple[ProvisionalPlanIn | None, dict[str, str]]:
    """The provisional plan of the builder's plan form (``plan.<field>``), if given."""
    raw = {f: (params.get(f"plan.{f}") or "").strip() for f in PLAN_FIELDS}
    if not any(raw.values()):
        return None, {}
    supporting = {}
    for modality in protocols_service.MODALITY_LABELS:
        count = (params.get(f"plan.supporting.{modality}") or "").strip()
        if count:
            supporting[modality] = count
    given = {k: v for k, v in raw.items() if v}  # an empty box takes the field's default
    try:
        return ProvisionalPlanIn.model_validate({**given, "supporting": supporting}), {}
    except ValidationError as exc:
        return None, {f"plan.{k}": v for k, v in views.dotted_errors(exc).items()}


def _number(value: str | None) -> int | None:
    text = (value or "").strip()
    return int(text) if text.isdigit() and len(text) < 10 else None


def _builder(
    call: Call,
    patient_id: int,
    *,
    form: dict[str, str] | None = None,
    refused: Refused | None = None,
    quote: QuoteOut | None = None,
) -> Response:
    """The builder: a new quote, or the next version of ``quote``. What it starts from
    (the course, the plan, the price list, the room type) comes from the query string
    (the "propose" form), or from the form sent back after a refusal."""
    source: Any = form if form is not None else call.request.query_params
    patient = patients_service.get_patient(call.session, call.actor, patient_id)
    course_id = _number(source.get("course_id")) or (quote.course_id if quote else None)
    plan, errors = _plan(source)
    if plan is None and quote is not None and quote.plan and form is None:
        plan = ProvisionalPlanIn.model_validate(quote.plan)
    if course_id is not None:
        plan = None  # a course, once there is one, is what the quote is priced from
    price_list_id = _number(source.get("price_list_id"))
    room_type = source.get("room_type") or (quote.room_type if quote else None) or None
    currency = quote.currency if quote is not None and price_list_id is None else None
    context: dict[str, Any] = {**patient_banner(patient), "quote": quote, "labels": views.LABELS}
    try:
        proposal = service.proposal(
            call.session,
            call.actor,
            patient_id,
            course_id=course_id,
            plan=plan,
            price_list_id=price_list_id,
            currency=currency,
            room_type=room_type,
        )
    except InvalidInput as exc:
        errors.update(exc.errors)
        try:  # the price list in force, with nothing proposed: the error says why
            proposal = service.proposal(call.session, call.actor, patient_id, currency=currency)
        except InvalidInput as none_in_force:
            errors.update(none_in_force.errors)
            gettext = gettext_for(call.request)
            context.update(prices=None, errors=views.translated(errors, gettext), form={})
            return call.render("quotes/builder.html", context, 409)
    prices = service.get_price_list(call.session, call.actor, proposal.price_list_id)
    lang = request_lang(call.request)
    gettext = gettext_for(call.request)
    context.update(
        {
            "prices": prices,
            "in_force": [
                p for p in service.list_price_lists(call.session, call.actor) if p.in_force
            ],
            "proposal": proposal,
            "form": form if form is not None else _form_from(proposal, quote, source),
            "course_id": course_id or "",
            "plan_form": {f"plan.{k}": v for k, v in _plan_fields(plan).items()},
            "room_type": room_type or "",
            "room_types": [i.applies_to for i in prices.items if i.category == "stay_night"],
            "courses": [
                c
                for c in protocols_service.list_courses(call.session, call.actor, patient_id)
                if c.status == "approved"
            ],
            "consultation": intake_service.request_for_patient(call.session, patient_id),
            "action": f"/quotes/{quote.id}/reissue" if quote else f"/patients/{patient_id}/quotes",
            "groups": _groups(prices),
            "amounts": {
                i.code: service.amount_for(i.unit_price, prices.currency, lang)
                for i in prices.items
            },
            "sources": protocols_service.SOURCE_LABELS,
            "modalities": protocols_service.MODALITY_LABELS,
            "errors": views.translated({**errors, **(refused.errors if refused else {})}, gettext),
        }
    )
    return call.render("quotes/builder.html", context, refused.status_code if refused else 200)


def _plan_fields(plan: ProvisionalPlanIn | None) -> dict[str, str]:
    """A provisional plan as the plan form's fields (``supporting.<modality>``)."""
    if plan is None:
        return {}
    values = plan.model_dump()
    fields = {
        f: f"{values[f]:g}" if isinstance(values[f], float) else str(values[f]) for f in PLAN_FIELDS
    }
    fields.update({f"supporting.{m}": str(n) for m, n in plan.supporting.items()})
    return fields


def _groups(prices: Any) -> list[tuple[str, list[Any]]]:
    """The price list's items by category, in the catalogue's order."""
    return [
        (category, [i for i in prices.items if i.category == category])
        for category in service.CATEGORIES
        if any(i.category == category for i in prices.items)
    ]


def _form_from(proposal: Any, quote: QuoteOut | None, asked: Any) -> dict[str, str]:
    """The builder's fields: what the course or plan proposes (for a new version: what
    the quote holds, unless the "propose" form asked for a proposal), the severity and
    comorbidities of the record (for a new version: the quote's)."""
    form: dict[str, str] = {"price_list_id": str(proposal.price_list_id)}
    proposing = any(k in asked for k in ("course_id", "room_type", "plan.source"))
    if quote is not None:
        for line in quote.lines:
            if line.kind == "item" and not (proposing and line.category in PLANNED):
                form[f"qty.{line.code}"] = line.quantity or ""
            elif line.kind == "discount":
                form["discount_code"] = line.code
                form["discount_reason"] = line.reason or ""
        form["severity"] = quote.severity
        for category in quote.comorbidities:
            form[f"comorbidity.{category}"] = "on"
        form["notes"] = quote.notes or ""
    for code, q in proposal.lines.items():
        if quote is None or proposing:
            form[f"qty.{code}"] = q
    if quote is None:
        form["severity"] = proposal.severity or ""
        for category in proposal.comorbidities:
            form[f"comorbidity.{category}"] = "on"
    return form


def _quote_body(data: dict[str, str], prices: Any) -> tuple[dict[str, Any], list[str]]:
    """The builder's form as the API's body, and the item code of each line (for naming
    a line's error after its quantity box)."""
    codes = [i.code for i in prices.items]
    body: dict[str, Any] = {
        "price_list_id": data.get("price_list_id", ""),
        "lines": [
            {"code": code, "quantity": (data.get(f"qty.{code}") or "").strip() or "0"}
            for code in codes
        ],
        "severity": data.get("severity", ""),
        "comorbidities": [c for c in service.COMORBIDITIES if data.get(f"comorbidity.{c}")],
        "valid_until": data.get("valid_until", ""),
        "notes": data.get("notes", ""),
        "room_type": data.get("room_type", ""),
    }
    if data.get("course_id", "").strip():
        body["course_id"] = data["course_id"]
    plan, _errors = _plan(data)
    if plan is not None:
        body["provisional"] = plan.model_dump(mode="json")
    if data.get("discount_code", "").strip():
        body["discount"] = {
            "code": data["discount_code"],
            "reason": data.get("discount_reason", ""),
        }
    return body, codes


def _form_errors(errors: dict[str, str], codes: list[str]) -> dict[str, str]:
    """A quote's errors named after the builder's fields."""
    out: dict[str, str] = {}
    for key, message in errors.items():
        parts = key.split(".")
        if (
            parts[0] == "lines"
            and len(parts) > 1
            and parts[1].isdigit()
            and int(parts[1]) < len(codes)
        ):
            key = f"qty.{codes[int(parts[1])]}"
        elif key in ("discount.code", "discount.reason"):
            key = key.replace(".", "_")
        elif parts[0] == "comorbidities":
            key = "comorbidities"
        elif parts[0] == "provisional":
            key = "plan." + ".".join(parts[1:]) if len(parts) > 1 else "plan"
        out.setdefault(key, message)
    return out


def _submit_quote(post: Post, use_case: Any) -> Any:
    """Parse the builder's form and run ``use_case(session, actor, body)``."""
    price_list_id = _number(post.data.get("price_list_id"))
    try:
        prices = service.get_price_list(post.session, post.actor, price_list_id or 0)
    except NotFound:
        return Refused({"price_list_id": "choose a price list in force"}, 422, False)
    body, codes = _quote_body(post.data, prices)
    try:
        parsed = QuoteIn.model_validate(body)
    except ValidationError as exc:
        return Refused(_form_errors(views.dotted_errors(exc), codes), 422, False)
    outcome = post.attempt(lambda: use_case(post.session, post.actor, parsed))
    if isinstance(outcome, Refused):
        return Refused(_form_errors(outcome.errors, codes), outcome.status_code, outcome.stale)
    return outcome


@router.get("/patients/{patient_id}/quotes/new")
def new_quote(patient_id: int, call: Call = WRITE) -> Response:
    return _builder(call, patient_id)


@router.post("/patients/{patient_id}/quotes")
def create_quote(patient_id: int, post: Post = WRITE_POST) -> Response:
    outcome = _submit_quote(
        post, lambda session, actor, body: service.create_quote(session, actor, patient_id, body)
    )
    return post.answer(
        outcome,
        lambda refused: _builder(post, patient_id, form=post.data, refused=refused),
        lambda made: f"/quotes/{made.id}?created=1",
    )


@router.get("/quotes/{quote_id}/reissue")
def reissue_form(quote_id: int, call: Call = WRITE) -> Response:
    quote = service.get_quote(call.session, call.actor, quote_id)
    return _builder(call, quote.patient_id, quote=quote)


@router.post("/quotes/{quote_id}/reissue")
def reissue(quote_id: int, post: Post = WRITE_POST) -> Response:
    quote = service.get_quote(post.session, post.actor, quote_id)
    outcome = _submit_quote(
        post, lambda session, actor, body: service.reissue_quote(session, actor, quote_id, body)
    )
    return post.answer(
        outcome,
        lambda refused: _builder(
            post, quote.patient_id, form=post.data, refused=refused, quote=quote
        ),
        lambda made: f"/quotes/{made.id}?reissued=1",
    )


# --- a quote -----------------------------------------------------------------------------------


def _quote_page(
    call: Call,
    quote_id: int,
    *,
    refused: Refused | None = None,
    open_form: str | None = None,
) -> Response:
    quote = service.get_quote(call.session, call.actor, quote_id)
    patient = patients_service.get_patient(call.session, call.actor, quote.patient_id)
    lang = request_lang(call.request)
    gettext = gettext_for(call.request)
    show = call.request.query_params.get("show")
    converted = None
    if show in service.CURRENCIES:
        converted = service.converted(
            call.session, call.actor, quote.total, quote.currency, show, service.clinic_today()
        )
    versions = [
        q
        for q in service.list_quotes(call.session, call.actor, quote.patient_id)
        if q.number == quote.number
    ]
    refusal = service.refusal_text(quote, lang)
    errors = refused.errors if refused else {}
    context = {
        **patient_banner(patient),
        "q": quote,
        "rows": views.line_rows(quote, quote.lines, gettext, lang),
        "total": service.amount_for(quote.total, quote.currency, lang),
        "converted": converted,
        "converted_amount": service.amount_for(converted.amount, converted.currency, lang)
        if converted
        else None,
        "show": show or "",
        "currencies": [c for c in service.CURRENCIES if c != quote.currency],
        "versions": versions,
        "refusal": refusal,
        "can_write": call.actor.role in service.WRITE_ROLES,
        "times": {
            "created": views.clinic_time(quote.created_at, lang),
            "sent": views.clinic_time(quote.sent_at, lang),
            "accepted": views.clinic_time(quote.accepted_at, lang),
            "declined": views.clinic_time(quote.declined_at, lang),
        },
        "languages": i18n.available_languages(),
        "patient_lang": patient_language(patient.preferred_language),
        "form": call.data if isinstance(call, Post) else {},
        "errors": views.translated(errors, gettext),
        "open_form": open_form,
        "flash": call.flash(DONE),
        "labels": views.LABELS,
    }
    return call.render("quotes/quote.html", context, refused.status_code if refused else 200)


@router.get("/quotes/{quote_id}.pdf")
def quote_pdf(
    quote_id: int, lang: str | None = Query(default=None, max_length=8), call: Call = STAFF
) -> Response:
    return pdf_response(service.pdf_file(call.session, call.actor, quote_id, lang))


@router.get("/quotes/{quote_id}")
def quote_page(quote_id: int, call: Call = STAFF) -> Response:
    return _quote_page(call, quote_id)


def _after(post: Post, quote_id: int, key: str, outcome: Any) -> Response:
    return post.answer(
        outcome,
        lambda refused: _quote_page(post, quote_id, refused=refused, open_form=key),
        f"/quotes/{quote_id}?{key}=1",
    )


@router.post("/quotes/{quote_id}/send")
def send(quote_id: int, post: Post = WRITE_POST) -> Response:
    outcome = post.attempt(lambda: service.send_quote(post.session, post.actor, quote_id))
    return _after(post, quote_id, "sent", outcome)


@router.post("/quotes/{quote_id}/accept")
def accept(quote_id: int, post: Post = WRITE_POST) -> Response:
    fields = {"how": post.data.get("how", ""), "note": post.data.get("note", "")}
    outcome = post.submit(AcceptIn, fields, service.accept_quote, quote_id)
    return _after(post, quote_id, "accepted", outcome)


@router.post("/quotes/{quote_id}/decline")
def decline(quote_id: int, post: Post = WRITE_POST) -> Response:
    fields = {"reason": post.data.get("decline_reason", "")}
    outcome = post.submit(DeclineIn, fields, service.decline_quote, quote_id)
    if isinstance(outcome, Refused) and "reason" in outcome.errors:
        outcome.errors["decline_reason"] = outcome.errors.pop("reason")
    return _after(post, quote_id, "declined", outcome)


@router.post("/quotes/{quote_id}/invoice")
def invoice(quote_id: int, post: Post = WRITE_POST) -> Response:
    outcome = post.attempt(lambda: service.issue_invoice(post.session, post.actor, quote_id))
    return post.answer(
        outcome,
        lambda refused: _quote_page(post, quote_id, refused=refused, open_form="invoice"),
        lambda made: f"/invoices/{made.id}?issued=1",
    )
