"""Errors raised by the spirometry science code.

Every error names the field that caused it (``field``) and, for array input, the
record (``record``, a 0-based index) so that a caller can put the message next to
the right form field or CSV row; ``text`` is the message as the science wrote it (a
``respira.science.texts.Text``, without the record prefix), ``code`` and ``params`` its
stable code and parameters, for a page that writes it in its reader's language.
"""

from __future__ import annotations

from respira.science.texts import text_of


class SpirometryInputError(ValueError):
    """Input that cannot be interpreted: missing, impossible or of the wrong kind."""

    def __init__(self, message: str, *, field: str, record: int | None = None) -> None:
        prefix = f"record {record}: " if record is not None else ""
        super().__init__(prefix + message)
        self.field = field
        self.record = record
        self.text = message
        self.code, self.params = text_of(message)


class OutOfRangeError(SpirometryInputError):
    """A value lies outside the range for which the reference equations exist.

    Raised only by scalar calls; array calls return NaN and a reason instead.
    """
