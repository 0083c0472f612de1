"""Text that a step writes in Python and a reader sees in their language: messages with
parameters, a patient's language, and emails written paragraph by paragraph.

``N_`` (``respira.kit.marks``) marks a string for Babel's extraction; it is translated
where it is shown, with the reader's ``gettext``:

- ``Msg(N_("... %(x)s ..."), x=1)`` is a ``str`` holding the English text (what the API
  answers and the audit trail stores) that remembers its message id and parameters, so
  that a page can show it in the reader's language (``translate``). Use cases raise
  ``InvalidInput`` with ``Msg`` values; nothing else changes on the way.
- ``patient_language`` is the language Respira writes to a patient in (pages reached
  from an email, the emails themselves): their preferred language when Respira has it.
- ``paragraphs`` is an email's text from its marked paragraphs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from respira.kit import i18n
from respira.kit.marks import N_

Gettext = Callable[[str], str]

# The author Respira writes on the versions it ships (criteria sets, release
# specifications, programme limits, the expected-reactions list): stored in English,
# shown in the reader's language (the templates' ``author`` filter).
SHIPPED_AUTHOR = N_("Respira (shipped default)")
PROGRAMME_AUTHOR = N_("Respira (programme default)")
SHIPPED_AUTHORS = frozenset({SHIPPED_AUTHOR, PROGRAMME_AUTHOR})


class Msg(str):
    """English text that a page can translate: ``Msg(N_("... %(x)s ..."), x=1)``."""

    msgid: str
    params: dict[str, Any]

    def __new__(cls, msgid: str, **params: Any) -> Msg:
        made = super().__new__(cls, msgid % params if params else msgid)
        made.msgid = msgid
        made.params = params
        return made


class Msgs(Msg):
    """Several messages read as one ("first; second"): the English joined, and on a page
    each translated on its own (``translate``, the forms' ``problem_text``)."""

    items: tuple[str, ...]
    separator: str

    def __new__(cls, items: Iterable[str], separator: str = "; ") -> Msgs:
        parts = tuple(items)
        made = str.__new__(cls, separator.join(parts))
        made.msgid = str(made)
        made.params = {}
        made.items = parts
        made.separator = separator
        return made


_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def message_pattern(msgid: str) -> re.Pattern[str]:
    """A regular expression that reads the parameters back out of the English text a
    message wrote (``fullmatch``; a parameter that appears twice must be the same both
    times): how a page shows in its reader's language a text that was stored in English
    with no code beside it."""
    pieces = _PLACEHOLDER.split(msgid.replace("%%", "%"))
    regex, seen = [], set()
    for i, piece in enumerate(pieces):
        if i % 2 == 0:
            regex.append(re.escape(piece))
        elif piece in seen:
            regex.append(f"(?P={piece})")
        else:
            seen.add(piece)
            regex.append(f"(?P<{piece}>.+?)")
    return re.compile("".join(regex), re.S)


def translate(text: str, gettext: Gettext) -> str:
    """``text`` in the reader's language when it is a ``Msg`` or a message id of the
    catalogue; as it is otherwise."""
    if isinstance(text, Msgs):
        return text.separator.join(translate(item, gettext) for item in text.items)
    if isinstance(text, Msg):
        translated = gettext(text.msgid)
        return translated % text.params if text.params else translated
    return gettext(text)


def patient_language(preferred: str | None) -> str:
    """The language of the pages and emails closest to a patient's preferred one (a BCP
    47 tag such as "de-AT" → "de"), English when Respira has no catalogue for it."""
    return i18n.negotiate(None, None, preferred)


def gettext_in(lang: str) -> Gettext:
    """The ``gettext`` of a language (an email's, written outside any request)."""
    found: Gettext = i18n.translations(lang).gettext
    return found


def paragraphs(gettext: Gettext, lines: Iterable[str], params: Mapping[str, Any]) -> str:
    """Marked paragraphs translated with ``gettext``, their ``%(name)s`` filled from
    ``params``, separated by blank lines (an email's text, ending with a newline)."""
    translated = [gettext(line) for line in lines]
    return "\n\n".join(text % params if "%(" in text else text for text in translated) + "\n"
