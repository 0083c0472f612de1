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
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# The host names of this machine's loopback interface.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RESPIRA_", extra="ignore")

    database_url: str = "sqlite:///./respira.kit.db"
    # The key that signs session cookies and API tokens. When unset, a random key is
    # created once in ``secret_file`` (mode 0600) so that restarts keep sessions valid.
    secret_key: str | None = None
    secret_file: Path = Path("./respira.secret")
    # The key of the audit trail's HMAC chain and of its anchors, kept outside the
    # database. When unset, a random key is created once in ``audit_key_file`` (0600).
    audit_key: str | None = None
    audit_key_file: Path = Path("./respira.audit-key")
    # The append-only file the chain's head is anchored in (one JSON line per anchor);
    # by default next to the secret file. How often the jobs process anchors the head.
    audit_anchor_file: Path | None = None
    audit_anchor_every_s: float = Field(default=300.0, ge=10, le=86400)

    session_max_age_s: int = 8 * 3600
    token_max_age_s: int = 3600
    # Respira is reached over HTTPS (through a TLS-terminating proxy): cookies are marked
    # Secure and responses carry Strict-Transport-Security. Plain HTTP is for development
    # on this machine only, and the operator must say so: ``insecure_http_localhost=true``
    # (``make run``, the demo and the tests set it), refused unless public_base_url
    # names a loopback host; it turns ``cookie_secure`` off. ``cookie_secure=false``
    # alone is refused.
    cookie_secure: bool = True
    insecure_http_localhost: bool = False
    hsts_max_age_s: int = Field(default=365 * 24 * 3600, ge=0)
    # The host names Respira answers to (the Host header; comma-separated, a leading
    # "*." for subdomains, "*" for any): a request naming another host gets 400, so that
    # a forged Host never ends up in a link. Default: public_base_url's host, 127.0.0.1
    # and localhost.
    allowed_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)

    # Request bodies are read no further than this before the route sees them (413
    # beyond); ``body_limits`` sets the limit of the routes under a path (by route
    # template) that need more or allow less: the FHIR transaction (a bundle of
    # spirometries), and the intake forms, whose every field has a size limit: their
    # longest fields typed in four-byte characters and percent-encoded (12 bytes a
    # character) come to about 30 KiB.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    body_limits: dict[str, int] = Field(
        default_factory=lambda: {
            "/fhir": 16 * 1024 * 1024,
            "/consultation": 64 * 1024,
            "/consultation-requests": 64 * 1024,
            "/api/v1/consultation-requests": 64 * 1024,
        }
    )

    # argon2id parameters (RFC 9106 "second recommended option": t=3, m=64 MiB, p=4).
    argon2_time_cost: int = 3
    argon2_memory_cost_kib: int = 65536
    argon2_parallelism: int = 4
    # Password checks run on their own threads at a lower CPU priority, at most this many
    # at once (default: one per two cores), so that sign-ins cannot take the CPU from
    # the clinic's work; past ``argon2_max_waiting`` checks in the queue a sign-in is
    # answered 429 at once instead of holding a request thread.
    argon2_max_parallel: int = Field(default_factory=lambda: max(1, (os.cpu_count() or 2) // 2))
    argon2_max_waiting: int = Field(default=24, ge=0)

    login_max_failures: int = 5
    login_lockout_s: int = 15 * 60
    # Besides the lockout of one account: failed sign-ins per client address per window
    # (any accounts, known or not); past it the address is answered 429 until the
    # oldest failure leaves the window.
    login_rate_limit: int = Field(default=20, ge=1)
    login_rate_window_s: int = Field(default=300, ge=1)
    # How long an emailed password-reset link works (it works once).
    password_reset_ttl_s: int = Field(default=3600, ge=60, le=7 * 24 * 3600)

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

    # Outgoing mail (alerts, reminders, invitations) goes through the outbox and is sent
    # by the jobs process to this SMTP server; with no host, mail waits in the outbox
    # and the admin's outbox page says that mail is not configured.
    smtp_host: str | None = None
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_from: str = "respira@localhost"
    smtp_user: str | None = None
    smtp_password: str | None = None
    # "none" (plain, for a relay on the same host), "starttls" (port 587) or "ssl" (465).
    smtp_tls: Literal["none", "starttls", "ssl"] = "none"
    smtp_timeout_s: float = Field(default=10.0, gt=0, le=120)
    # Where the clinic's users reach Respira: the start of every link in an email.
    public_base_url: str = "http://127.0.0.1:8000"
    # The clinic's letterhead on printed documents (medical summaries).
    clinic_name: str = "Respira demo clinic"
    clinic_address: str = ""
    clinic_phone: str = ""
    # The clinic's time zone (IANA name): appointment slots, follow-up windows and the
    # times on staff pages are read in it.
    clinic_timezone: str = "UTC"
    # The service level of the consultation queue: a request still "new" (nobody has
    # contacted the person) this many working days (Monday to Friday in the clinic's
    # time zone) after it arrived is overdue and heads the coordinators' worklist.
    intake_service_level_working_days: int = Field(default=2, ge=1, le=30)

    # Outcomes: any figure computed from fewer patients than this is suppressed on the
    # outcome report and the public page (small cells identify people and mislead).
    outcomes_min_cell: int = Field(default=10, ge=1, le=1000)
    # The public transparency page recomputes its figures at most this often.
    outcomes_public_cache_s: float = Field(default=300.0, ge=0, le=86400)
    # The key of the de-identified export's keyed hashes and date shifts (at least 32
    # characters; never exported). Without it the export is refused.
    outcomes_export_key: str | None = Field(default=None, min_length=32)

    @field_validator("clinic_timezone")
    @classmethod
    def _known_time_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"clinic_timezone must be an IANA time zone such as Europe/Berlin, not {value!r}"
            ) from exc
        return value

    @field_validator("public_base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [host.strip() for host in value.split(",") if host.strip()]
        return value

    @model_validator(mode="after")
    def _transport(self) -> Settings:
        host = (urlsplit(self.public_base_url).hostname or "").lower()
        if self.insecure_http_localhost:
            if host not in LOOPBACK_HOSTS:
                raise ValueError(
                    "insecure_http_localhost serves plain HTTP and is only for this machine: "
                    f"public_base_url must name 127.0.0.1, ::1 or localhost, not {host!r}"
                )
            self.cookie_secure = False
        elif not self.cookie_secure:
            raise ValueError(
                "cookie_secure=false sends session cookies over plain HTTP; for development "
                "on this machine set insecure_http_localhost=true instead"
            )
        if not self.allowed_hosts:
            self.allowed_hosts = [h for h in dict.fromkeys([host, "127.0.0.1", "localhost"]) if h]
        self.allowed_hosts = [h.lower() for h in self.allowed_hosts]
        return self

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

    def resolved_audit_key(self) -> str:
        if self.audit_key:
            return self.audit_key
        return _secret_from_file(self.audit_key_file)

    def resolved_audit_anchor_file(self) -> Path:
        if self.audit_anchor_file is not None:
            return self.audit_anchor_file
        return self.secret_file.parent / "respira.audit-anchor"


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
