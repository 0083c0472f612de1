"""Password hashing with argon2id (argon2-cffi), parameters from the settings, and the
one check of a new password (``password_problem``) that creating an account, the
command line and choosing one's own password all use.

A new password is refused when it is shorter than ``MIN_PASSWORD_LENGTH`` or longer
than ``MAX_PASSWORD_LENGTH`` (what sign-in accepts, so that every password that can be
set can also be typed at sign-in), when it is on the shipped list of common passwords
(``data/common-passwords.txt``; its header says where it comes from), also with digits
or punctuation added before or after a listed word, when it is a trivial pattern (one
repeated part, a sequence of letters or digits, a row of the keyboard, or a few of
these one after another), or when it is the person's name or email address with too
little besides.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import threading
import unicodedata
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from importlib import resources
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from respira.kit.config import get_settings
from respira.kit.errors import RateLimited
from respira.kit.marks import N_

T = TypeVar("T")

MIN_PASSWORD_LENGTH = 12
# The longest password sign-in accepts (the form and the token endpoint), and so the
# longest that may be set.
MAX_PASSWORD_LENGTH = 1024

TOO_SHORT = "the password must have at least 12 characters"
TOO_LONG = N_("the password must have at most 1024 characters")
SPACES = "the password must not start or end with spaces"
COMMON = N_("this password is on a list of common or leaked passwords; please choose another")
TRIVIAL = N_(
    "this password is a simple pattern (a repeated part, a sequence of letters or digits, "
    "or a row of the keyboard); please choose another"
)
BUSY = N_("Sign-in is busy at the moment. Please try again in a few seconds.")
PERSONAL = N_(
    "your name and email address do not count: the rest of the password must have at "
    "least 12 characters"
)


@lru_cache(maxsize=1)
def hasher() -> PasswordHasher:
    s = get_settings()
    return PasswordHasher(
        time_cost=s.argon2_time_cost,
        memory_cost=s.argon2_memory_cost_kib,
        parallelism=s.argon2_parallelism,
    )


def _lower_priority() -> None:
    """Run this thread (and the threads argon2 starts from it, which inherit it) at a
    lower CPU priority than the request threads (Linux: niceness is per thread)."""
    with contextlib.suppress(AttributeError, OSError):  # not Linux: the bound still holds
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)


class _Hashing:
    """The password checks' own threads: at most ``argon2_max_parallel`` hashes at once,
    at a lower priority, and at most ``argon2_max_waiting`` more waiting."""

    def __init__(self, workers: int, waiting: int) -> None:
        self.pool = ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="argon2", initializer=_lower_priority
        )
        self.slots = threading.BoundedSemaphore(workers + waiting)

    def run(self, work: Callable[[], T]) -> T:
        if not self.slots.acquire(blocking=False):
            raise RateLimited(BUSY, retry_after_s=2)
        try:
            return self.pool.submit(work).result()
        finally:
            self.slots.release()


@lru_cache(maxsize=1)
def _hashing() -> _Hashing:
    s = get_settings()
    return _Hashing(max(1, s.argon2_max_parallel), s.argon2_max_waiting)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hasher().hash("respira-timing-equaliser")


def hash_password(password: str) -> str:
    return _hashing().run(lambda: hasher().hash(password))


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches. With no hash (an unknown account) the work of
    a verification is still done, so timing does not tell which accounts exist.
    Raises ``RateLimited`` when too many checks are waiting already."""
    stored = password_hash or _hashing().run(_dummy_hash)

    def verify() -> bool:
        try:
            return hasher().verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    return _hashing().run(verify) and password_hash is not None


# --- what a new password must not be ------------------------------------------------


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords (lowercase), without its header."""
    text = resources.files("respira.accounts").joinpath("data/common-passwords.txt")
    lines = text.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if not line.startswith("#"))
    return frozenset(line for line in lines[start:] if line)


# Rows of the keyboards of the clinic's languages (US/UK, German, French, Russian), and
# the alphabets and digits: a step to the next or the previous character of one of these
# is a "sequence" step.
_ROWS = (
    "`1234567890-=",
    "qwertyuiop[]",
    "asdfghjkl;'",
    "zxcvbnm,./",
    "qwertzuiopü+",
    "asdfghjklöä#",
    "<yxcvbnm,.-",
    "azertyuiop",
    "qsdfghjklmù",
    "wxcvbn,;:!",
    "йцукенгшщзхъ",
    "фывапролджэ",
    "ячсмитьбю.",
    "0123456789",
    "abcdefghijklmnopqrstuvwxyz",
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
)
_SAME = (-1, 0)


@lru_cache(maxsize=4096)
def _steps(a: str, b: str) -> frozenset[tuple[int, int]]:
    """How ``b`` follows ``a``: the same character again, or one position to the right
    (+1) or left (-1) on a row (each as (row, direction))."""
    if a == b:
        return frozenset({_SAME})
    found = set()
    for r, row in enumerate(_ROWS):
        i, j = row.find(a), row.find(b)
        if i >= 0 and j >= 0 and abs(i - j) == 1:
            found.add((r, j - i))
    return frozenset(found)


def _runs(text: str) -> int:
    """Into how few runs the text falls, a run being characters that each follow the
    one before in the same way (one character repeated, "abcd", "4321", "qwer")."""
    runs, common = 1, None
    for a, b in itertools.pairwise(text):
        steps = _steps(a, b)
        common = steps if common is None else common & steps
        if not common:
            runs += 1
            common = None
    return runs


def _repeats_a_part(text: str) -> bool:
    """The text is a shorter part said again ("abcabcabcabc", "passwordpassword")."""
    return any(
        text == (text[:period] * (len(text) // period + 1))[: len(text)]
        for period in range(1, len(text) // 2 + 1)
    )


def is_trivial(password: str) -> bool:
    text = password.lower()
    return _runs(text) <= 3 or _repeats_a_part(text)


_ENDS = re.compile(r"^[\W\d_]+|[\W\d_]+$")


def is_common(password: str) -> bool:
    """On the list, as typed or with digits and punctuation before or after a listed
    word ("Password2024!")."""
    text = password.lower()
    listed = common_passwords()
    if text in listed:
        return True
    core = _ENDS.sub("", text)
    return len(core) >= 4 and core in listed


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def _personal_words(email: str | None, name: str | None) -> list[str]:
    words: list[str] = []
    if email:
        local, _, domain = email.partition("@")
        words += [local, *re.split(r"[._+-]", local), domain.split(".")[0]]
    if name:
        words += [name.replace(" ", ""), *re.split(r"[\s'.-]+", name)]
    words.append("respira")
    folded = {_fold(w) for w in words}
    return sorted((w for w in folded if len(w) >= 3), key=len, reverse=True)


def without_personal_words(password: str, email: str | None, name: str | None) -> str:
    rest = _fold(password)
    for word in _personal_words(email, name):
        rest = rest.replace(word, "")
    return rest


def password_problem(
    password: str, *, email: str | None = None, name: str | None = None
) -> str | None:
    """Why a new password is not acceptable, or None. ``email`` and ``name`` are the
    account's (its owner's name and email must not make up most of it)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return TOO_SHORT
    if len(password) > MAX_PASSWORD_LENGTH:
        return TOO_LONG
    if password.strip() != password:
        return SPACES
    if is_common(password):
        return COMMON
    if is_trivial(password):
        return TRIVIAL
    rest = without_personal_words(password, email, name)
    if rest != _fold(password) and len(rest) < MIN_PASSWORD_LENGTH:
        return PERSONAL
    return None
