"""The forgotten password for JSON clients (an app's "forgot password" screen): ask for
a reset link, and set the new password with the token from the link
(``respira.accounts.reset``)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from respira.accounts import reset
from respira.accounts.passwords import MAX_PASSWORD_LENGTH
from respira.kit import ratelimit
from respira.kit.db import Database
from respira.kit.validation import InputModel
from respira.kit.web.deps import Public
from respira.kit.web.routes import Call, uses

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class ResetRequestIn(InputModel):
    email: str = Field(max_length=254)


class ResetRequestOut(BaseModel):
    detail: str


class ResetCompleteIn(InputModel):
    token: str = Field(max_length=200)
    password: str = Field(max_length=MAX_PASSWORD_LENGTH)


@router.post(
    "/password-reset",
    status_code=202,
    response_model=ResetRequestOut,
    responses={
        422: {"description": "Not an email address"},
        429: {
            "description": "Too many requests from this address or for this email; "
            "the Retry-After header says how many seconds to wait"
        },
    },
)
def request_password_reset(
    body: ResetRequestIn, call: Call = uses(Public(api=True))
) -> ResetRequestOut:
    """Ask for a link to choose a new password. The answer is the same whether or not
    an account has the address; an active account is sent the link by email."""
    client = ratelimit.request_client_key(call.request)
    return ResetRequestOut(detail=reset.request_reset(call.session, body.email, client=client))


@router.post(
    "/password-reset/complete",
    status_code=204,
    dependencies=[Depends(Public(api=True))],
    responses={
        400: {"description": "The link has been used, has expired or is not valid"},
        422: {"description": "The password is not acceptable (the reason by field)"},
    },
)
def complete_password_reset(body: ResetCompleteIn, request: Request) -> Response:
    """Set a new password with the token of a reset link (once). Every session and
    token of the account ends; sign in again afterwards."""
    # No request session: the use case opens its own short transactions around the hash.
    db: Database = request.app.state.db
    reset.complete_reset(db, body.token, body.password, body.password)
    return Response(status_code=204)
