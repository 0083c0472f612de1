"""``POST /api/v1/auth/token``: the OAuth2 password grant for JSON clients, with the
account's two-factor code in the extra form field ``totp`` where it has one."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from pydantic import BaseModel

from respira.accounts import service, two_factor
from respira.accounts.passwords import MAX_PASSWORD_LENGTH
from respira.kit import ratelimit, tokens
from respira.kit.config import get_settings
from respira.kit.db import Database
from respira.kit.errors import Forbidden, NotAuthenticated
from respira.kit.web.deps import Public

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 (the OAuth2 token type, not a secret)
    expires_in: int


@router.post(
    "/token",
    response_model=TokenOut,
    dependencies=[Depends(Public(api=True))],
    responses={
        401: {
            "description": "The email or password is not correct, or the account is locked; "
            "or the account signs in with two factors and the field totp is missing or "
            "not right"
        },
        403: {
            "description": "The account's role requires two-factor sign-in and it has not "
            "set it up yet (set it up in the web app first)"
        },
        429: {
            "description": "Too many failed sign-ins from this address; "
            "the Retry-After header says how many seconds to wait"
        },
    },
)
def issue_token(
    request: Request,
    username: str = Form(max_length=254),
    password: str = Form(max_length=MAX_PASSWORD_LENGTH),
    totp: str | None = Form(
        default=None,
        max_length=64,
        description="For an account with two-factor sign-in: the current 6-digit code "
        "of its authenticator app (or one of its one-time recovery codes). A code counts "
        "once; a wrong one counts toward the account's lockout as a wrong password does.",
    ),
) -> TokenOut:
    # No request session: sign-in opens its own short transactions around the hash.
    db: Database = request.app.state.db
    client = ratelimit.request_client_key(request)
    signed_in = service.authenticate(db, username, password, client=client)
    step = two_factor.next_step(db, signed_in)
    if step == "enrol":
        raise Forbidden(two_factor.ENROL_FIRST)
    if step == "code":
        if not (totp or "").strip():
            raise NotAuthenticated(two_factor.CODE_NEEDED)
        signed_in = two_factor.complete_sign_in(
            db, signed_in.user_id, signed_in.session_epoch, totp or "", client=client
        )
    return TokenOut(
        access_token=tokens.make_api_token(signed_in.user_id, signed_in.session_epoch),
        expires_in=get_settings().token_max_age_s,
    )
