"""The words of the medical summaries, written in English and marked with ``N_`` for
Babel; a summary is made in the patient's language and in English by translating them
with the step's catalogues (``locale/de``, ``locale/ru``). Names that are the same in
every language (ACT, ACQ, FEV1, CTCAE terms, drug names, codes) are not translated.

``Words`` is one language's view: translation, and numbers and dates as that language
writes them (a decimal comma in German and Russian).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from babel.numbers import format_decimal

from respira.kit import i18n
from respira.kit.marks import N_
from respira.science import control

KIND_TITLES = {"discharge": N_("Discharge summary"), "follow_up": N_("Follow-up summary")}
STATUS_LABELS = {"draft": N_("draft"), "signed": N_("signed"), "superseded": N_("superseded")}
SECTION_TITLES = {
    "identity": N_("Patient"),
    "diagnosis": N_("Diagnosis"),
    "diagnostics": N_("Diagnostics before treatment"),
    "course": N_("The course as given"),
    "administrations": N_("Vital signs and reactions during the administrations"),
    "adverse_events": N_("Adverse events"),
    "follow_up": N_("Follow-up results"),
    "medication": N_("Current medication"),
    "recommendations": N_("Recommendations of the treating physician"),
    "limits": N_("What these numbers can and cannot show"),
}
# What a section says when it has nothing to show ("nothing recorded yet").
EMPTY = {
    "diagnosis": N_("Nothing recorded yet: no diagnostic results before treatment."),
    "diagnostics": N_("Nothing recorded yet: no diagnostic visit before treatment."),
    "course": N_("Nothing recorded yet: no approved treatment course."),
    "administrations": N_("Nothing recorded yet: no administration."),
    "adverse_events": N_("Nothing recorded yet: no adverse event has been recorded."),
    "follow_up": N_("Nothing recorded yet: no follow-up check-in has been answered."),
    "medication": N_("Nothing recorded yet: no treatment history was recorded."),
    "recommendations": N_("Nothing recorded yet: the physician has not written them."),
}

SEX = {"female": N_("female"), "male": N_("male")}
PHENOTYPES = {
    "allergic-eosinophilic": N_("allergic and eosinophilic (mixed)"),
    "allergic": N_("allergic"),
    "eosinophilic": N_("eosinophilic"),
    "type-2-high-unclassified": N_(
        "type-2 inflammation may be present (a type-2 signal, neither allergic nor eosinophilic)"
    ),
    "type-2-low": N_("type-2-low"),
    "indeterminate": N_("indeterminate (markers missing)"),
}
PATTERNS = {
    "normal": N_("normal"),
    "obstruction": N_("obstruction"),
    "possible_restriction": N_("possible restriction"),
    "mixed": N_("possible mixed pattern — confirm with lung volumes"),
    "prism": N_("preserved ratio impaired spirometry (PRISm)"),
}
SEVERITIES = {"mild": N_("mild"), "moderate": N_("moderate"), "severe": N_("severe")}
BANDS = {
    "well_controlled": N_("well controlled"),
    "not_well_controlled": N_("not well controlled"),
    "very_poorly_controlled": N_("very poorly controlled"),
    "grey_zone": N_("grey zone"),
    "partly_controlled": N_("partly controlled"),
    "uncontrolled": N_("uncontrolled"),
}
INSTRUMENTS = control.SHORT_NAMES
SCALES = {
    "act": N_("5 to 25, higher is better"),
    "cact": N_("0 to 27, higher is better"),
    "acq5": N_("0 to 6, lower is better"),
    "acq6": N_("0 to 6, lower is better"),
    "acq7": N_("0 to 6, lower is better"),
    "gina": N_("symptom control, 4 questions"),
}
DECISIONS = {
    "eligible": N_("eligible"),
    "not_eligible": N_("not eligible"),
    "needs_review": N_("needs review"),
}
ICD10 = {
    "J45.0": N_("predominantly allergic asthma"),
    "J45.1": N_("non-allergic asthma"),
    "J45.9": N_("asthma, unspecified"),
}
SEVERITY_BY_STEP = {
    "mild": N_("mild asthma: controlled at GINA step 1 or 2"),
    "moderate": N_("moderate asthma: needs GINA step 3"),
    "severe": N_("severe asthma: needs GINA step 4 or 5"),
}
ICS_LEVELS = {
    "none": N_("none"),
    "low": N_("low dose"),
    "medium": N_("medium dose"),
    "high": N_("high dose"),
}
MODALITIES = {
    "chest_xray": N_("chest X-ray"),
    "ct": N_("chest CT"),
    "hrct": N_("high-resolution chest CT"),
    "other": N_("other imaging"),
}
SOURCES = {
    "allogeneic_cord": N_("umbilical cord MSC, allogeneic (from a released lot)"),
    "autologous_bone_marrow": N_("bone marrow MSC, autologous (the patient's own cells)"),
    "autologous_adipose": N_("adipose tissue MSC, autologous (the patient's own cells)"),
}
ROUTES = {"iv": N_("intravenous infusion"), "nebulised": N_("nebulised (inhaled)")}
SUPPORTING = {
    "physiotherapy": N_("physiotherapy"),
    "kinesiotherapy": N_("kinesiotherapy"),
    "electrotherapy": N_("electrotherapy"),
    "ultrasound": N_("ultrasound therapy"),
    "lymphatic_drainage": N_("lymphatic drainage"),
    "low_level_laser": N_("low-level laser therapy"),
    "imr_infusions": N_("intracellular metabolism recovery infusions"),
    "plasmapheresis": N_("plasmapheresis"),
    "hypoxy_hyperoxy": N_("hypoxic-hyperoxic therapy"),
    "mesodiencephalic_modulation": N_("mesodiencephalic modulation"),
}
PHASES = {"before": N_("before"), "during": N_("during"), "after": N_("after")}
REACTIONS = {
    "fever": N_("fever"),
    "chills": N_("chills"),
    "headache": N_("headache"),
    "nausea": N_("nausea"),
    "fatigue": N_("fatigue"),
    "infusion-site irritation": N_("irritation at the infusion site"),
}
CAUSALITY = {
    "unrelated": N_("unrelated"),
    "unlikely": N_("unlikely related"),
    "possible": N_("possibly related"),
    "probable": N_("probably related"),
    "definite": N_("definitely related"),
}
OUTCOMES = {
    "recovered": N_("recovered"),
    "recovering": N_("recovering"),
    "not_recovered": N_("not recovered"),
    "recovered_with_sequelae": N_("recovered with sequelae"),
    "fatal": N_("fatal"),
    "unknown": N_("unknown"),
}
SERIOUS_CRITERIA = {
    "death": N_("death"),
    "life_threatening": N_("life-threatening"),
    "hospitalisation": N_("hospitalisation or a longer stay"),
    "disability": N_("disability or incapacity"),
    "congenital_anomaly": N_("congenital anomaly"),
    "important_medical_event": N_("important medical event"),
}
# Spirometry's abbreviations are written as each language writes them (ОФВ1, ФЖЕЛ).
PARAMETERS = {
    "fev1": N_("FEV1"),
    "fvc": N_("FVC"),
    "fev1fvc": N_("FEV1/FVC"),
    "fef2575": N_("FEF25-75"),
}
BEFORE_BD, AFTER_BD = N_("before bronchodilator"), N_("after bronchodilator")
LITRES, LITRES_PER_SECOND = N_("L"), N_("L/s")
SPIROMETRY_ROWS = {
    "fev1_pre": ("fev1", BEFORE_BD, LITRES),
    "fev1_post": ("fev1", AFTER_BD, LITRES),
    "fvc_pre": ("fvc", BEFORE_BD, LITRES),
    "fvc_post": ("fvc", AFTER_BD, LITRES),
    "fev1fvc_pre": ("fev1fvc", BEFORE_BD, None),
    "fev1fvc_post": ("fev1fvc", AFTER_BD, None),
    "fef2575_pre": ("fef2575", BEFORE_BD, LITRES_PER_SECOND),
}
YES, NO = N_("yes"), N_("no")

# The limits of what the numbers can show (clinical.md §6, "Regression to the mean
# warning"; DESIGN.md "Honest by construction"). No efficacy claim, ever.
LIMITS = (
    N_(
        "This summary reports what was measured and observed in this patient. It does not "
        "claim that the treatment caused any change."
    ),
    N_(
        "There is no comparison group. A change after treatment can also come from the "
        "natural course of asthma, other treatment, the season, or regression to the mean: "
        "patients often start a programme when their asthma is at its worst, and on average "
        "improve afterwards whatever is done."
    ),
    N_(
        "Individual results vary: one patient's results do not predict another's, and a "
        "change smaller than the minimal clinically important difference (MCID) may be "
        "chance."
    ),
    N_(
        "Cell therapy for asthma is not one of the treatment steps of standard asthma care "
        "(GINA 2024)."
    ),
)
MEDICATION_STATEMENT = N_(
    "The patient's regular asthma medication continues unchanged unless the treating "
    "physician changes it."
)


class Words:
    """The summary's words in one language: ``words(msgid, **params)`` translates, and
    numbers and dates come out as the language writes them."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self._gettext = i18n.translations(lang).gettext

    def __call__(self, msgid: str, **params: Any) -> str:
        text: str = self._gettext(msgid)
        return text % params if params else text

    def label(self, labels: dict[str, str], code: str | None) -> str:
        """The translated label of a code (the code itself when it has none)."""
        if code is None:
            return "—"
        return self(labels[code]) if code in labels else code

    def yes_no(self, value: bool | None) -> str:
        return "—" if value is None else self(YES if value else NO)

    def num(self, value: float | None, digits: int = 1) -> str:
        if value is None:
            return "—"
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return str(format_decimal(round(value, digits), format=pattern, locale=self.lang))

    def signed(self, value: float | None, digits: int = 1) -> str:
        """A change with its sign (+0.5, −1.2; the minus sign, not a hyphen)."""
        if value is None:
            return "—"
        text = self.num(abs(value), digits)
        return ("+" if value >= 0 else "−") + text

    def date(self, iso: str | None) -> str:
        return "—" if iso is None else i18n.fmt_date(dt.date.fromisoformat(iso[:10]), self.lang)

    def datetime(self, iso: str | None) -> str:
        if iso is None:
            return "—"
        return i18n.fmt_datetime(dt.datetime.fromisoformat(iso), self.lang)


def score_digits(instrument: str | None) -> int:
    """ACQ scores are means (two decimals); ACT, C-ACT and GINA counts are whole."""
    return 2 if (instrument or "").startswith("acq") else 0


def control_text(q: dict[str, Any], _: Words) -> str:
    """A questionnaire's score with its band and its scale in words."""
    score = _.num(q["score"], score_digits(q["instrument"]))
    if q["instrument"] == "gina":
        score = _("%(count)s of 4 questions answered yes", count=score)
    return f"{score} — {_.label(BANDS, q['band'])} ({_(SCALES[q['instrument']])})"
