"""What the diagnostics pages share with other steps' pages that show its results (the
follow-up's check-in shows a spirometry reading and a questionnaire score): numbers
written in the reader's way, and the words of a spirometry pattern."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from respira.diagnostics.labels import pattern_label
from respira.kit.i18n import SOURCE_LANGUAGE, fmt_number

__all__ = ["numbers", "pattern_label"]


def numbers(lang: str) -> dict[str, Any]:
    """How a page writes the numbers of a result in ``lang`` (template functions):
    ``number`` a value with its own decimals ("7.5", "7,5"), ``fixed`` with ``digits``
    decimals, ``signed`` with its sign too ("+13.7"; with ``digits`` None, its own
    decimals) and ``fmt_score`` a questionnaire's score. An English page writes them as
    it always has ("%g", "%.2f", "%+g"); another language in its own way, rounded as the
    English is."""
    english = lang == SOURCE_LANGUAGE

    def number(value: float) -> str:
        return f"{value:g}" if english else fmt_number(value, lang)

    def fixed(value: float, digits: int) -> str:
        shown = f"{value:.{digits}f}"
        return shown if english else fmt_number(Decimal(shown), lang, digits)

    def signed(value: float, digits: int | None = None) -> str:
        size = number(abs(value)) if digits is None else fixed(abs(value), digits)
        return ("+" if value >= 0 else "-") + size

    def score(instrument: str, value: float) -> str:
        return fixed(value, 2 if instrument.startswith("acq") else 0)

    return {"number": number, "fixed": fixed, "signed": signed, "fmt_score": score}
