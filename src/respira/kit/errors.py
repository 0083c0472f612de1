"""Domain errors raised by services and translated to HTTP by the web layer.

A service never returns half a result: it raises one of these before it commits, so
bad input or a forbidden request changes nothing.
"""

from __future__ import annotations

from respira.kit.marks import N_


class DomainError(Exception):
    status_code = 400
    title = "Bad request"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotAuthenticated(DomainError):
    status_code = 401
    title = "Sign-in required"


class Forbidden(DomainError):
    status_code = 403
    title = "Not allowed"


class NotFound(DomainError):
    status_code = 404
    title = "Not found"


class Conflict(DomainError):
    """A stale edit (the version read is not the current one) or an edit of a record
    that may no longer change (a signed decision)."""

    status_code = 409
    title = "Conflict"


class PreconditionRequired(DomainError):
    status_code = 428
    title = "Precondition required"


class RateLimited(DomainError):
    status_code = 429
    title = "Too many requests"

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class InvalidInput(DomainError):
    """Input that passed the schema but breaks a rule that needs the database or the
    record's context (an impossible date relative to the patient, say)."""

    status_code = 422
    title = "Invalid input"

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


# What a "not found" says about each kind of record (the steps raise ``NotFound`` with
# these words; the error page shows them in the reader's language, the API in English).
NOT_FOUND_TEXTS = (
    N_("no such unit"),
    N_("no such checklist item"),
    N_("no such registry exit"),
    N_("no such record"),
    N_("no such lot"),
    N_("no such course"),
    N_("no such adverse event"),
    N_("no such summary"),
    N_("no such stay"),
    N_("no such resource"),
    N_("no such quote"),
    N_("no such price list"),
    N_("no such payment"),
    N_("no such message"),
    N_("no such invoice"),
    N_("no such harvest"),
    N_("no such follow-up"),
    N_("no such donor"),
    N_("no such account"),
    N_("no such diet restriction"),
)
