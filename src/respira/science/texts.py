"""What the science writes for people — an input error, a note, a check's name — as
English text with a stable code and its parameters, so that a page can write it in its
reader's language.

The science stays free of web and translation code. A :class:`Text` *is* the English
string (``str(error)``, what the API and the CLI answer, exactly as before) and carries
``code``, the English ``template`` it was made from and its ``params``. Each module
keeps its templates in a ``TEXTS`` dict (code → template, placeholders ``%(name)s``
only), each marked with :func:`N_` so that Babel extracts it; the template is the
message id, translated in the diagnostics step's catalogues and written there in the
reader's language (``respira.diagnostics.science_texts``). A parameter is one of:

* a :class:`Number`: its value, for a page to write in the reader's way, and the way the
  English text shows it ("300", "0.15");
* a :class:`Term`: a word of the science's own vocabulary (a field, an instrument, an
  equation set, a unit), which a page names in its reader's words;
* a nested :class:`Text` (an allowed range inside an error);
* any other string, shown as it is (an allergen, an echo of a wrong input).
"""

from __future__ import annotations

from typing import Any

__all__ = ["N_", "Number", "Term", "Text", "echo", "number", "text_of"]


def N_(message: str) -> str:
    """Marks an English template for Babel's extraction and leaves it as it is (the
    science's own mark, so that it needs nothing of the web or translation code)."""
    return message


class Number:
    """A number inside a text: ``value``, and ``shown`` as the English text writes it."""

    __slots__ = ("shown", "value")

    def __init__(self, value: float, shown: str) -> None:
        self.value = value
        self.shown = shown

    def __str__(self) -> str:
        return self.shown

    def __repr__(self) -> str:
        return f"Number({self.value!r}, {self.shown!r})"


def number(value: float) -> Number:
    """A number written as ``{value:g}`` in English (300.0 → "300", 0.15 → "0.15")."""
    return Number(float(value), f"{float(value):g}")


def echo(value: object) -> Number | str:
    """A wrong input echoed back as ``{value!r}`` in English: a number stays a number (a
    page writes it in the reader's way), anything else is its ``repr``."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Number(float(value), repr(value))
    return repr(value)


class Term(str):
    """A word of the science's vocabulary (``fev1_pre_l``, ``act``, ``gli-2012``, ``L``):
    English text shows it as it is, a page in its reader's words."""

    __slots__ = ()


class Text(str):
    """English text of the science that remembers its ``code``, ``template`` and
    ``params``: ``Text("phenotype.note.biologic", TEXTS[...])``."""

    code: str
    template: str
    params: dict[str, Any]

    def __new__(cls, code: str, template: str, **params: Any) -> Text:
        made = super().__new__(cls, template % params if params else template)
        made.code = code
        made.template = template
        made.params = params
        return made


def text_of(message: object) -> tuple[str | None, dict[str, Any]]:
    """The code and parameters of a message (``None`` and ``{}`` for plain text)."""
    if isinstance(message, Text):
        return message.code, dict(message.params)
    return None, {}
