"""The science's texts in the reader's language: its input errors where a form shows
them, and the words of a stored result (the phenotype's checks and notes, a spirometry
session's notes) on the visit page. The API and the stored records keep the English.

A science text (``respira.science.texts.Text``) is the English string the API answers,
with a stable code, the English template it was made from and its parameters. The
template is the message id (the science marks it for extraction; this step's catalogues
in ``locale/`` translate it), and ``translatable`` turns the text into a ``Msg`` whose
``str`` is still that English: a page writes it in its reader's language, with a
``Number`` in the reader's way, a ``Term`` of the science's vocabulary (a field, an
instrument, an equation set, a unit) in the reader's words (``TERMS``) and a nested
text translated in turn.

A stored result holds only the English, so ``read_back`` finds the template it was
written from (``TEMPLATES``: every template of the science, and this step's note of a
session without reference values) and its parameters, for the visit page to write in
its reader's language (``pages.science_text``; an English page shows the stored text
exactly as it is).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from respira.diagnostics.labels import QUESTIONNAIRE_ITEMS
from respira.kit.marks import N_
from respira.kit.texts import Msg, message_pattern
from respira.science import control, phenotype
from respira.science.spirometry import checks, interpretation, reference
from respira.science.texts import Number, Term, Text

#: What a spirometry session without reference values notes (the patient's age lies
#: outside the equations; ``service.record_spirometry``).
NO_REFERENCE_NOTE = N_(
    "no reference values for this age: %(equations)s covers ages %(low)s–%(high)s years "
    "and the patient was %(age)s on the visit date; the measured values are stored "
    "without predicted values, z-scores, limits of normal or an interpretation"
)

#: Every template a stored result or an error of the science may have been written
#: from, by code.
TEMPLATES: dict[str, str] = {
    **phenotype.TEXTS,
    **control.TEXTS,
    **checks.TEXTS,
    **interpretation.TEXTS,
    **reference.TEXTS,
    "diagnostics.no_reference_values": NO_REFERENCE_NOTE,
}

#: The science's vocabulary inside its texts (``Term``), as the English text writes it;
#: a page names each in its reader's words. The questionnaires' item labels are marked
#: in ``labels.QUESTIONNAIRE_ITEMS``.
TERMS: dict[str, str] = {
    # The fields of a spirometry session (``checks.FIELDS``) and of a marker panel.
    "sex": N_("sex"),
    "age": N_("age"),
    "height_cm": N_("height_cm"),
    "ethnicity": N_("ethnicity"),
    "fev1_pre_l": N_("fev1_pre_l"),
    "fvc_pre_l": N_("fvc_pre_l"),
    "fev1_post_l": N_("fev1_post_l"),
    "fvc_post_l": N_("fvc_post_l"),
    "fef2575_pre_l_s": N_("fef2575_pre_l_s"),
    "fef75_pre_l_s": N_("fef75_pre_l_s"),
    "age_years": N_("age_years"),
    "blood_eosinophils_per_ul": N_("blood_eosinophils_per_ul"),
    "feno_ppb": N_("feno_ppb"),
    "total_ige_iu_ml": N_("total_ige_iu_ml"),
    "sputum_eosinophils_pct": N_("sputum_eosinophils_pct"),
    "on_maintenance_ocs": N_("on_maintenance_ocs"),
    "on_biologic": N_("on_biologic"),
    "sensitisations": N_("sensitisations"),
    # The questionnaires (``control.INSTRUMENTS``).
    "act": N_("act"),
    "cact": N_("cact"),
    "acq5": N_("acq5"),
    "acq6": N_("acq6"),
    "acq7": N_("acq7"),
    "gina": N_("gina"),
    # The equation sets, their parameters and a session's results.
    "gli-2012": N_("gli-2012"),
    "gli-global": N_("gli-global"),
    "fev1": N_("fev1"),
    "fvc": N_("fvc"),
    "fev1fvc": N_("fev1fvc"),
    "fef2575": N_("fef2575"),
    "fef75": N_("fef75"),
    "fef2575_pre": N_("fef2575_pre"),
    "fef75_pre": N_("fef75_pre"),
    # Units.
    "L": N_("L"),
    "L/s": N_("L/s"),
}
_ITEMS = frozenset(QUESTIONNAIRE_ITEMS)


def word(text: str) -> str:
    """A term (or a list of terms, "feno_ppb, sensitisations") as a ``Msg`` a page
    writes in its reader's words; any other text as it is."""
    if text in TERMS or text in _ITEMS:
        return Msg(TERMS.get(text, text))
    parts = text.split(", ")
    if len(parts) > 1 and all(part in TERMS for part in parts):
        # Not a message id of the catalogue: only its parts are translated.
        listed = ", ".join(f"%(w{i})s" for i in range(len(parts)))
        return Msg(listed, **{f"w{i}": word(part) for i, part in enumerate(parts)})
    return text


def _param(value: Any) -> Any:
    if isinstance(value, Text):
        return translatable(value)
    if isinstance(value, Number):
        return value.value
    if isinstance(value, Term):
        return word(str(value))
    return value


def translatable(message: str) -> str:
    """A science text as a ``Msg`` that a page writes in its reader's language, whose
    ``str`` is still the science's English exactly (what the API answers); any other
    message as it is."""
    if not isinstance(message, Text):
        return message
    made = str.__new__(Msg, str(message))
    made.msgid = message.template
    made.params = {name: _param(value) for name, value in message.params.items()}
    return made


def refusal(exc: Exception) -> str:
    """The message of a science error (``SpirometryInputError``, ``PhenotypeInputError``,
    ``QuestionnaireError``) for ``InvalidInput``: translatable where the science gave it
    a code, ``str(exc)`` otherwise."""
    text = getattr(exc, "text", None)
    return translatable(text) if isinstance(text, Text) else str(exc)


def translatable_problems(problems: dict[str, str]) -> dict[str, str]:
    """``{field: message}`` of the science (``session_problems``), each translatable."""
    return {field: translatable(message) for field, message in problems.items()}


# --- stored results -------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
_NUMBER = re.compile(r"-?\d{1,3}(?:,\d{3})*(?:\.\d+)?|-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


@lru_cache(maxsize=1)
def _patterns() -> tuple[tuple[str, re.Pattern[str] | None], ...]:
    """Every template with its pattern (``None``: no parameter), the longest first so
    that a template that extends another ("…cells/uL (on maintenance OCS)") wins."""
    ordered = sorted(set(TEMPLATES.values()), key=len, reverse=True)
    return tuple((t, message_pattern(t) if _PLACEHOLDER.search(t) else None) for t in ordered)


def _read_param(value: str) -> Any:
    if _NUMBER.fullmatch(value):
        return float(value.replace(",", ""))
    return word(value)


def read_back(text: str) -> str:
    """A stored English text of the science as a ``Msg`` of its template and parameters
    (numbers as numbers, terms as words to translate); text written from no known
    template as it is."""
    for template, pattern in _patterns():
        if pattern is None:
            if text == template:
                return Msg(template)
            continue
        found = pattern.fullmatch(text)
        if found:
            params = {name: _read_param(value) for name, value in found.groupdict().items()}
            return Msg(template, **params)
    return text
