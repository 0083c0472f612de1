"""``N_``: marks a message for Babel's extraction where it is written (a manifest's
navigation label, a table of codes' words, an email's lines) and leaves it as it is; the
page or email translates it in the reader's language where it is shown. Kept apart from
``kit.i18n`` (which loads Babel) so that manifests can use it without slowing the
command line's start."""

from __future__ import annotations


def N_(message: str) -> str:
    return message
