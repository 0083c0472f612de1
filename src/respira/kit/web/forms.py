"""HTML form handling: read a posted form, validate it with a Pydantic schema, turn
validation errors into one message per field for the template, and run the use case
(``attempt``): a page handler then either redirects (303, post/redirect/get) or
re-renders its form with the errors, and never rolls a transaction back itself.

Errors are written for people, in their language: a Pydantic error becomes a
``FieldProblem`` (``human_message``), a sentence with an example ("Enter a full date,
for example 1980-03-14.") that a page shows in the reader's language next to its field;
the box above the form names the field by the label the page gives it ("Date of birth:
enter a full date, for example 1980-03-14."; see ``templating.field_labels``). The JSON
API keeps Pydantic's own messages (``error_message``), which its clients read."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from fastapi import Request
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from respira.kit import validation
from respira.kit.errors import Conflict, DomainError, InvalidInput, PreconditionRequired
from respira.kit.marks import N_
from respira.kit.texts import Msg

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")

MAX_FORM_FIELDS = 200


def error_message(err: dict[str, Any]) -> str:
    """Pydantic's message of an error (the JSON API's ``msg``), without its prefixes."""
    msg = str(err.get("msg", "is not valid"))
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix) :]
    return msg


class FieldProblem(Msg):
    """What is wrong with one field of a form, for a person: a ``Msg`` (the English
    sentence, its message id and parameters) that knows its ``field``. A page shows it
    in the reader's language wherever it is written (``{{ errors.get("x") }}``)."""

    field: str

    def __new__(cls, field: str, msgid: str, **params: Any) -> FieldProblem:
        made = cast(FieldProblem, super().__new__(cls, msgid, **params))
        made.field = field
        return made

    def __html__(self) -> str:
        from markupsafe import escape

        from respira.kit.web.templating import current_problem_text

        return str(escape(current_problem_text(self)))


# Pydantic's error types (https://docs.pydantic.dev/latest/errors/validation_errors/)
# as sentences for people, each with an example where one helps.
_DATE = N_("Enter a full date, for example 1980-03-14.")
_DATETIME = N_("Enter a date and a time, for example 2026-03-14 09:30.")
_TIME = N_("Enter a time, for example 09:30.")
_NUMBER = N_("Enter a number, for example 72 or 1.5.")
_WHOLE = N_("Enter a whole number, for example 3.")
_CHOICE = N_("Choose one of the options offered.")
_YES_NO = N_("Choose yes or no.")
_REQUIRED = N_("This is required: fill it in.")
_TEXT = N_("Enter text.")
HUMAN_MESSAGES: dict[str, str] = {
    "missing": _REQUIRED,
    "date_type": _DATE,
    "date_parsing": _DATE,
    "date_from_datetime_parsing": _DATE,
    "date_from_datetime_inexact": _DATE,
    "datetime_type": _DATETIME,
    "datetime_parsing": _DATETIME,
    "datetime_from_date_parsing": _DATETIME,
    "datetime_object_invalid": _DATETIME,
    "time_type": _TIME,
    "time_parsing": _TIME,
    "timezone_naive": N_("Enter the time with its time zone, for example 2026-03-14 09:30+01:00."),
    "timezone_aware": N_("Enter the time without a time zone, for example 2026-03-14 09:30."),
    "date_future": N_("Enter a date in the future."),
    "date_past": N_("Enter a date in the past, for example 1980-03-14."),
    "float_type": _NUMBER,
    "float_parsing": _NUMBER,
    "decimal_type": _NUMBER,
    "decimal_parsing": _NUMBER,
    "finite_number": _NUMBER,
    "int_type": _WHOLE,
    "int_parsing": _WHOLE,
    "int_from_float": _WHOLE,
    "int_parsing_size": N_("Enter a smaller number."),
    "greater_than": N_("Enter a number greater than %(gt)s."),
    "greater_than_equal": N_("Enter a number of at least %(ge)s."),
    "less_than": N_("Enter a number less than %(lt)s."),
    "less_than_equal": N_("Enter a number of at most %(le)s."),
    "multiple_of": N_("Enter a multiple of %(multiple_of)s."),
    "decimal_max_places": N_("Enter at most %(decimal_places)s digits after the decimal point."),
    "decimal_max_digits": N_("Enter at most %(max_digits)s digits."),
    "decimal_whole_digits": N_("Enter at most %(whole_digits)s digits before the decimal point."),
    "string_too_long": N_("Enter at most %(max_length)s characters."),
    "string_too_short": N_("Enter at least %(min_length)s characters."),
    "string_type": _TEXT,
    "string_unicode": _TEXT,
    "string_pattern_mismatch": N_("Enter it in the form the hint shows."),
    "too_long": N_("Choose at most %(max_length)s."),
    "too_short": N_("Choose at least %(min_length)s."),
    "literal_error": _CHOICE,
    "enum": _CHOICE,
    "bool_type": _YES_NO,
    "bool_parsing": _YES_NO,
    "url_type": N_("Enter a web address, for example https://clinic.example.org."),
    "url_parsing": N_("Enter a web address, for example https://clinic.example.org."),
    "url_scheme": N_("Enter a web address, for example https://clinic.example.org."),
    "uuid_type": N_("Enter the identifier as it was given."),
    "uuid_parsing": N_("Enter the identifier as it was given."),
    "extra_forbidden": N_("This field is not part of the form; reload the page."),
}
_NOT_VALID = N_("Check this value: it is not valid here.")
# The sentences above: what a form says of a value whatever the field; a page may say
# something more particular of its own fields instead (a service's refusal is kept).
GENERIC_MESSAGES = frozenset({*HUMAN_MESSAGES.values(), _NOT_VALID})
# The kit's shared validators (``respira.kit.validation``) answer the JSON API in short
# phrases that follow a field's name ("must be a date such as …"); a form says them as
# sentences with an example.
_VALIDATOR_SENTENCES: dict[str, str] = {
    validation.NOT_A_DATE: _DATE,
    validation.NOT_A_NUMBER: _NUMBER,
    "is required": _REQUIRED,
    "cannot be in the future": N_("Enter today's date or an earlier one."),
    "is before 1900: check the year": N_("Check the year: the date is before 1900."),
    "must be on one line": N_("Write it on one line."),
    "must not contain control characters": N_("Remove the tabs or control characters."),
    "must be an ISO 3166-1 alpha-2 country code, such as DE or GB": N_(
        "Choose a country from the list."
    ),
    "must be a BCP 47 language tag, such as de or pt-BR": N_("Choose a language from the list."),
    "must be a phone number of 7 to 15 digits, with an optional leading + "
    "(for example +49 30 1234567)": N_(
        "Enter a phone number of 7 to 15 digits, for example +49 30 1234567."
    ),
}
_VALIDATOR_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"must be at most (?P<max_length>\d+) characters"),
        HUMAN_MESSAGES["string_too_long"],
    ),
    (
        re.compile(r"not a valid email address\b.*", re.S),
        N_("Enter an email address, for example name@example.org."),
    ),
)
# A required text left empty reads as "required", not as "at least 1 character".
_EMPTY_IS_MISSING = frozenset({"string_too_short", "too_short"})


def _param(value: Any) -> Any:
    """A limit from Pydantic's context as a person writes it (7, not 7.0)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def human_message(err: Mapping[str, Any], field: str = "__all__") -> FieldProblem:
    """One Pydantic error as a sentence for a person (a ``FieldProblem`` of ``field``).
    A validator's own message (``ValueError`` in the schema) is already written for
    people and is kept (a ``Msg`` stays translatable)."""
    kind = str(err.get("type", ""))
    ctx = dict(err.get("ctx") or {})
    if kind in ("value_error", "assertion_error"):
        cause = ctx.get("error")
        text = cause.args[0] if isinstance(cause, Exception) and cause.args else None
        if isinstance(text, Msg):
            return FieldProblem(field, text.msgid, **text.params)
        return _validator_sentence(field, str(text) if text else error_message(dict(err)))
    if kind in _EMPTY_IS_MISSING and ctx.get("min_length") == 1:
        kind = "missing"
    msgid = HUMAN_MESSAGES.get(kind)
    if msgid is None:
        return FieldProblem(field, _NOT_VALID)
    names = [part[1 : part.index(")")] for part in msgid.split("%")[1:] if part.startswith("(")]
    if any(name not in ctx for name in names):
        return FieldProblem(field, _NOT_VALID)
    return FieldProblem(field, msgid, **{name: _param(ctx[name]) for name in names})


def _validator_sentence(field: str, text: str) -> FieldProblem:
    """A validator's message, as a sentence where it is one of the kit's shared ones."""
    if text in _VALIDATOR_SENTENCES:
        return FieldProblem(field, _VALIDATOR_SENTENCES[text])
    for pattern, msgid in _VALIDATOR_PATTERNS:
        m = pattern.fullmatch(text)
        if m:
            return FieldProblem(
                field, msgid, **{k: int(v) for k, v in m.groupdict().items() if v.isdigit()}
            )
    return FieldProblem(field, text)


def errors_by_field(exc: ValidationError) -> dict[str, str]:
    """The first error of each field, for people (``human_message``); a form-wide error
    under ``__all__``."""
    out: dict[str, str] = {}
    for err in exc.errors():
        loc = err.get("loc", ())
        field = str(loc[0]) if loc else "__all__"
        if field not in out:
            out[field] = human_message(dict(err), field)
    return out


async def read_form(request: Request) -> dict[str, str]:
    form = await request.form(max_fields=MAX_FORM_FIELDS)
    data: dict[str, str] = {}
    for key, value in form.multi_items():
        if key == "csrf_token" or not isinstance(value, str):
            continue
        data[key] = value
    return data


async def posted_form(request: Request) -> dict[str, str]:
    """The posted form as a dependency, read on the event loop, so that page handlers
    can be plain functions: FastAPI runs them in a worker thread, and their database
    work (which may wait for SQLite's write lock) and password hashing never hold up
    the event loop."""
    return await read_form(request)


def parse(schema: type[M], data: dict[str, Any]) -> tuple[M | None, dict[str, str]]:
    try:
        return schema.model_validate(data), {}
    except ValidationError as exc:
        return None, errors_by_field(exc)


@dataclass(frozen=True)
class Refused:
    """A use case that refused what the form asked, for the page to show again with the
    errors next to their fields: ``status_code`` 409 (``stale``: someone else changed
    the record, or it may no longer change), 422, 428 or 403."""

    errors: dict[str, str]
    status_code: int
    stale: bool


def attempt(
    session: Session,
    use_case: Callable[[], T],
    *,
    refusals: tuple[type[DomainError], ...] = (Conflict, InvalidInput, PreconditionRequired),
    message_field: Mapping[type[DomainError], str] | None = None,
) -> T | Refused:
    """Run a form post's use case. A refusal the user can act on rolls the request's
    transaction back (so that the page re-rendered after it reads the current state and
    holds no write lock) and comes back as ``Refused``; anything else propagates to the
    error pages. ``message_field`` puts a refusal's message next to a field (a wrong
    signature password next to the password) instead of at the top of the form."""
    try:
        return use_case()
    except refusals as exc:
        session.rollback()
        if isinstance(exc, InvalidInput):
            errors = {f: refusal_problem(f, m) for f, m in exc.errors.items()}
        else:
            field = next(
                (f for kind, f in (message_field or {}).items() if isinstance(exc, kind)),
                "__all__",
            )
            errors = {field: refusal_problem(field, exc.message)}
        return Refused(errors, exc.status_code, isinstance(exc, Conflict))


def clinic_moment(field: str, value: Any) -> tuple[Any, FieldProblem | None]:
    """A ``datetime-local`` field's value, typed on the clinic's wall clock
    (``RESPIRA_CLINIC_TIMEZONE``), as the ISO 8601 UTC moment the use cases and the API
    take (``clinic_time.wall_clock_to_utc``). A value with its own offset is kept; one that
    does not parse goes on as typed (the schema names the field); a time the clocks skip
    is the field's problem."""
    import datetime as dt

    from respira.kit.clinic_time import wall_clock_to_utc

    if not isinstance(value, str):
        return value, None
    try:
        typed = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return value, None
    try:
        return wall_clock_to_utc(typed, field=field).isoformat(), None
    except InvalidInput as refused:
        return value, cast(FieldProblem, refusal_problem(field, refused.errors[field]))


def clinic_moments(values: dict[str, Any], *fields: str) -> dict[str, str]:
    """``clinic_moment`` for each of ``fields`` of a form's ``values``, in place: the
    problems by field (empty when every time names a moment)."""
    problems: dict[str, str] = {}
    for name in fields:
        if name in values:
            values[name], problem = clinic_moment(name, values[name])
            if problem is not None:
                problems[name] = problem
    return problems


def refusal_problem(field: str, message: str) -> str:
    """A service's refusal as a ``FieldProblem``: the page shows it in the reader's
    language wherever it writes it (a message marked with ``N_``, or a ``Msg`` with its
    values), while its ``str`` stays the English text that the JSON API answers."""
    if isinstance(message, FieldProblem):
        return message
    if isinstance(message, Msg):
        return FieldProblem(field, message.msgid, **message.params)
    return FieldProblem(field, message)


def submit(
    session: Session,
    schema: type[M],
    data: dict[str, Any],
    use_case: Callable[[M], T],
    *,
    refusals: tuple[type[DomainError], ...] = (Conflict, InvalidInput, PreconditionRequired),
    message_field: Mapping[type[DomainError], str] | None = None,
    moments: tuple[str, ...] = (),
) -> T | Refused:
    """Validate a form with ``schema`` and ``attempt`` the use case on what it parsed.
    A form that does not parse is ``Refused`` with its errors by field and 422, before
    the use case runs. ``moments`` are the ``datetime-local`` fields typed on the
    clinic's wall clock (``clinic_moments``)."""
    if moments:
        data = dict(data)
        problems = clinic_moments(data, *moments)
        if problems:
            return Refused(problems, 422, False)
    body, errors = parse(schema, data)
    if body is None:
        return Refused(errors, 422, False)
    return attempt(session, lambda: use_case(body), refusals=refusals, message_field=message_field)
