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


# The visit page's words for the stored codes of a record (issue 14: no English value
# words on a German or Russian page).
SEXES: dict[str, str] = {"M": N_("male"), "F": N_("female")}
HEIGHT_SOURCES: dict[str, str] = {
    "measured": N_("measured at this test"),
    "previous_session": N_("from an earlier test"),
    "patient_record": N_("from the patient record"),
}
ALLERGY_METHODS: dict[str, str] = {"skin_prick": N_("skin-prick test"), "sige": N_("specific IgE")}
RESPONDENTS: dict[str, str] = {
    "self": N_("patient"),
    "caregiver": N_("caregiver"),
    "interviewer": N_("interviewer"),
}
MODES: dict[str, str] = {"paper": N_("paper"), "web": N_("web"), "interview": N_("interview")}
#: The science's short item descriptions (``science.control.ITEM_LABELS``), marked here
#: for translation; a test keeps the two lists equal.
QUESTIONNAIRE_ITEMS: tuple[str, ...] = (
    N_("FEV1 % predicted, pre-bronchodilator"),
    N_("activity limitation"),
    N_("any activity limitation"),
    N_("any night waking"),
    N_("caregiver: days with daytime symptoms"),
    N_("caregiver: days with wheeze"),
    N_("caregiver: nights with waking"),
    N_("child: asthma today"),
    N_("child: cough"),
    N_("child: limitation in activity"),
    N_("child: night waking"),
    N_("daily reliever use"),
    N_("daytime symptoms more than twice a week"),
    N_("night or early-morning waking"),
    N_("night waking"),
    N_("own rating of control"),
    N_("reliever needed more than twice a week"),
    N_("reliever use"),
    N_("shortness of breath"),
    N_("symptoms on waking"),
    N_("wheeze"),
)
#: The FeNO bands of the science (``science.phenotype.feno_band``): low, intermediate, high.
FENO_BANDS: tuple[str, ...] = (N_("low"), N_("intermediate"), N_("high"))
#: What the page says for a record's value words (the imaging modalities of the schema).
MODALITIES: tuple[str, ...] = (
    N_("Chest X-ray"),
    N_("Chest CT"),
    N_("HRCT"),
    N_("Other imaging"),
)
#: The reference groups of GLI-2012 and the biologics (``schemas.ETHNICITY_LABELS``,
#: ``schemas.BIOLOGIC_LABELS``), for the forms' choices and the records.
ETHNICITIES: tuple[str, ...] = (
    N_("Caucasian"),
    N_("African American"),
    N_("North East Asian"),
    N_("South East Asian"),
    N_("Other or mixed"),
)
BIOLOGICS: tuple[str, ...] = (
    N_("none"),
    N_("omalizumab (anti-IgE)"),
    N_("mepolizumab (anti-IL-5)"),
    N_("reslizumab (anti-IL-5)"),
    N_("benralizumab (anti-IL-5Rα)"),
    N_("dupilumab (anti-IL-4Rα)"),
    N_("tezepelumab (anti-TSLP)"),
)
