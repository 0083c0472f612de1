"""Settings from ``RESPIRA_*`` environment variables (pydantic-settings).

Every knob an operator may need lives here with a safe default for a single clinic on
one machine: an SQLite file next to the working directory, strong argon2 parameters and
short-lived sessions. Tests and benchmarks set the same variables; nothing reads
``os.environ`` elsewhere.
"""

from __future__ import annotations

import os
import re
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RESPIRA_", extra="ignore")

    database_url: str = "sqlite:///./respira.kit.db"
    # The key that signs session cookies and API tokens. When unset, a random key is
    # created once in ``secret_file`` (mode 0600) so that restarts keep sessions valid.
    secret_key: str | None = None
    secret_file: Path = Path("./respira.secret")

    session_max_age_s: int = 8 * 3600
    token_max_age_s: int = 3600
    # Cookies are marked Secure unless the operator says the site is served over plain
    # HTTP (development on 127.0.0.1).
    cookie_secure: bool = False

    # argon2id parameters (RFC 9106 "second recommended option": t=3, m=64 MiB, p=4).
    argon2_time_cost: int = 3
    argon2_memory_cost_kib: int = 65536
    argon2_parallelism: int = 4

    login_max_failures: int = 5
    login_lockout_s: int = 15 * 60

    # Public forms: requests per client address per window.
    public_rate_limit: int = 5
    public_rate_window_s: int = 3600
    # Number of reverse proxies in front of Respira whose X-Forwarded-For we trust.
    trusted_proxies: int = 0

    log_level: str = "INFO"

    demo: bool = Field(default=False, description="seed a demo clinic on start")

    # The cell laboratory's ISBT 128 Facility Identification Number (assigned by
    # ICCBBA: one letter and four letters or digits); the first five characters of every
    # Donation Identification Number it issues. "W9999" is a placeholder for the demo.
    facility_code: str = "W9999"
    # How long a thawed unit may wait for its infusion (from the product's stability
    # data; clinical.md §5.2 "post-thaw").
    thaw_expiry_hours: float = Field(default=4.0, gt=0, le=72)

    @field_validator("facility_code")
    @classmethod
    def _facility_code_is_a_fin(cls, value: str) -> str:
        code = value.strip().upper()
        if not re.fullmatch(r"[A-Z][A-Z0-9]{4}", code):
            raise ValueError(
                "facility_code must be an ISBT 128 Facility Identification Number: "
                "one letter followed by four letters or digits, such as W1234"
            )
        return code

    def resolved_secret_key(self) -> str:
        if self.secret_key:
            return self.secret_key
        return _secret_from_file(self.secret_file)


def _secret_from_file(path: Path) -> str:
    try:
        text = path.read_text().strip()
        if text:
            return text
    except FileNotFoundError:
        pass
    key = secrets.token_urlsafe(48)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError:  # another worker wrote it first: use theirs
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    return key


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
