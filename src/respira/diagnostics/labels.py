"""The words a person reads for the codes the science computes: spirometry patterns and
severities, type-2 phenotypes and control bands, marked for translation (the step's
catalogues in ``locale/``); pages show them with ``_()``, the API keeps the codes.

Wording (issue 14): a low FVC with a low FEV1/FVC ratio, from spirometry alone, is a
*possible* mixed pattern — gas trapping gives the same picture, and only lung volumes
(TLC) tell them apart (Stanojevic 2022, ERS/ATS interpretive strategies, Eur Respir J
60:2101499); abbreviations such as PRISm are written out; a type-2 signal that meets
neither the allergic nor the eosinophilic rule says that type-2 inflammation *may* be
present (GINA 2024, severe-asthma guide: "type 2 inflammation may be present").
"""

from __future__ import annotations

from respira.kit.marks import N_

PATTERNS: dict[str, str] = {
    "normal": N_("normal"),
    "obstruction": N_("obstruction"),
    "possible_restriction": N_("possible restriction — confirm with lung volumes"),
    "mixed": N_("possible mixed pattern — confirm with lung volumes"),
    "prism": N_("preserved ratio impaired spirometry (PRISm)"),
}
#: What a session without reference values (the age outside the equations) says.
NO_REFERENCE = N_("no reference values for this age")
SEVERITIES: dict[str, str] = {
    "mild": N_("mild"),
    "moderate": N_("moderate"),
    "severe": N_("severe"),
}
PHENOTYPES: dict[str, str] = {
    "allergic-eosinophilic": N_("allergic and eosinophilic"),
    "allergic": N_("allergic"),
    "eosinophilic": N_("eosinophilic"),
    "type-2-high-unclassified": N_(
        "type-2 inflammation may be present (a type-2 signal, neither allergic nor eosinophilic)"
    ),
    "type-2-low": N_("no sign of type-2 inflammation (type-2-low)"),
    "indeterminate": N_("indeterminate (markers missing)"),
}


def pattern_label(pattern: str | None) -> str:
    """The message id of a session's pattern (``None``: no reference values)."""
    if pattern is None:
        return NO_REFERENCE
    return PATTERNS.get(pattern, pattern.replace("_", " "))


def phenotype_label(phenotype: str | None) -> str:
    """The message id of a phenotype code."""
    if phenotype is None:
        return "—"
    return PHENOTYPES.get(phenotype, phenotype.replace("_", " "))


def severity_label(severity: str | None) -> str:
    return "" if severity is None else SEVERITIES.get(severity, severity)
