"""``POST /api/v1/auth/token``: the OAuth2 password grant for JSON clients."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form
from pydantic import BaseModel
from sqlalchemy.orm import Session

from respira.accounts import service
from respira.kit import tokens
from respira.kit.config import get_settings
from respira.kit.web.deps import Public, get_db

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 (the OAuth2 token type, not a secret)
    expires_in: int


@router.post("/token", response_model=TokenOut, dependencies=[Depends(Public(api=True))])
def issue_token(
    username: str = Form(max_length=254),
    password: str = Form(max_length=1024),
    session: Session = Depends(get_db),
) -> TokenOut:
    user = service.authenticate(session, username, password)
    return TokenOut(
        access_token=tokens.make_api_token(user.id, user.session_epoch),
        expires_in=get_settings().token_max_age_s,
    )
