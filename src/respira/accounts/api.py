"""``POST /api/v1/auth/token``: the OAuth2 password grant for JSON clients."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from pydantic import BaseModel

from respira.accounts import service
from respira.accounts.passwords import MAX_PASSWORD_LENGTH
from respira.kit import ratelimit, tokens
from respira.kit.config import get_settings
from respira.kit.db import Database
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
        401: {"description": "The email or password is not correct, or the account is locked"},
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
) -> TokenOut:
    # No request session: sign-in opens its own short transactions around the hash.
    db: Database = request.app.state.db
    signed_in = service.authenticate(
        db, username, password, client=ratelimit.request_client_key(request)
    )
    return TokenOut(
        access_token=tokens.make_api_token(signed_in.user_id, signed_in.session_epoch),
        expires_in=get_settings().token_max_age_s,
    )
