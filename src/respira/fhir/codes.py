"""The code systems and codes Respira's FHIR resources carry, in one place.

Sources: ``/work/shared/reference/clinical.md`` §7 — §7.1 LOINC (spirometry, markers,
ACT, vital signs; LOINC is free under the Regenstrief licence: "This material contains
content from LOINC (http://loinc.org). LOINC is copyright © Regenstrief Institute,
Inc. and the LOINC Committee"), §7.2 SNOMED CT (asthma and its phenotypes and
severities; SNOMED CT needs an affiliate licence outside member countries), §7.3
ICD-10 (WHO edition, J45.x), §7.4 ATC (WHO Collaborating Centre). HL7's own code
systems (observation categories, interpretations, condition status, adverse-event
seriousness, severity, outcome and causality) are those the FHIR R4 value sets bind.

Where §7 has no standard code (the predicted value, LLN and z-score components, the
reference equations, ACQ/C-ACT/GINA scores, FEF25-75, the cell administrations) the
concept gets a code of Respira's own code system ``RESPIRA`` (a stable canonical URL
that names the concept; it is not served as a resource).

Checked against primary sources after §7 (issue 12):

- FVC post-bronchodilator is 19874-7 "Forced vital capacity [Volume] Respiratory system
  by Spirometry --post bronchodilation", the post-BD twin of 19876-2 (pre-BD, "by
  Spirometry"): the HL7 Pulmonary Function Testing IG (Automate-Medical/pft-ig,
  input/fsh/Profiles/spirometry/FVC.fsh, profile FVC-POST) codes it so. 19875-4 (the
  loinc2hpo issue §7.1 cites) is the same measure with no method ("Forced vital
  capacity [Volume] Respiratory system --post bronchodilation"): a valid code, but not
  the spirometry one. Respira emits and accepts 19874-7 only. Both check digits are
  valid (LOINC's mod-10 rule), as are those of every LOINC code below
  (tests/fhir/test_fhir_codes.py).
- 18842-5 is LOINC's "Discharge summary" document type: HL7 C-CDA on FHIR 1.2.0,
  ValueSet DischargeSummaryDocumentTypeCode (2.16.840.1.113883.11.20.4.1), and the US
  Core 7.0.0 discharge-summary DocumentReference example.
- The DIN's identifier system is ICCBBA's URI for the data element,
  ``https://www.isbt128.org/uri/DonationIdentificationNumber``: the FHIR
  BiologicallyDerivedProduct example (FHIR R6 ballot and CI build,
  ``biologicalSourceEvent``; its MPHO identifier and ABO/RhD use the same
  ``https://www.isbt128.org/uri/`` namespace). Respira had ``.../uri/DIN``, which ICCBBA
  does not define.
- ``CANONICAL`` (Respira's code system, extension and identifier systems) is still a
  placeholder: ``.example`` is reserved for documentation (RFC 6761 §6.5) and nobody can
  own it. It must become an address the project controls before Respira's own codes are
  exchanged outside the clinic; which one is the project's decision. It stays one URL
  for every installation (the import recognises Respira's own codes by it).
"""

from __future__ import annotations

from typing import Final

from respira.science import diagnosis_codes

LOINC: Final = "http://loinc.org"
SNOMED: Final = "http://snomed.info/sct"
ICD10: Final = "http://hl7.org/fhir/sid/icd-10"
ATC: Final = "http://www.whocc.no/atc"
UCUM: Final = "http://unitsofmeasure.org"
MEDDRA: Final = "http://terminology.hl7.org/CodeSystem/mdr"
_HL7: Final = "http://terminology.hl7.org/CodeSystem/"
OBSERVATION_CATEGORY: Final = _HL7 + "observation-category"
INTERPRETATION: Final = _HL7 + "v3-ObservationInterpretation"
CONDITION_CLINICAL: Final = _HL7 + "condition-clinical"
CONDITION_VERIFICATION: Final = _HL7 + "condition-ver-status"
CONDITION_CATEGORY: Final = _HL7 + "condition-category"
AE_SERIOUSNESS: Final = _HL7 + "adverse-event-seriousness"
AE_SEVERITY: Final = _HL7 + "adverse-event-severity"
AE_OUTCOME: Final = _HL7 + "adverse-event-outcome"
AE_CAUSALITY: Final = _HL7 + "adverse-event-causality-assess"
ISSUE_TYPE: Final = "http://hl7.org/fhir/issue-type"

# Respira's own concepts (no code in clinical.md §7) and definitions.
CANONICAL: Final = "https://respira.example/fhir"
RESPIRA: Final = CANONICAL + "/CodeSystem/respira"
CTCAE_GRADE_EXTENSION: Final = CANONICAL + "/StructureDefinition/ctcae-grade"
# ISBT 128 Donation Identification Number (clinical.md §5.5) as an identifier system:
# ICCBBA's URI of the data element, as the FHIR BiologicallyDerivedProduct example has it
# (see the sources above).
ISBT128_DIN: Final = "https://www.isbt128.org/uri/DonationIdentificationNumber"


# --- spirometry (§7.1) ------------------------------------------------------------------

# The stored result key (diagnostics' ``spirometry_results.key``) → the LOINC code and
# display of the measured value. FEV1/FVC has one LOINC code for both phases (§7.1
# "no pre/post split"): the phase is carried by the ``bronchodilator-phase`` component.
SPIROMETRY_LOINC: Final[dict[str, tuple[str, str]]] = {
    "fev1_pre": ("20157-4", "FEV1 --pre bronchodilation"),
    "fev1_post": ("20155-8", "FEV1 --post bronchodilation"),
    "fvc_pre": (
        "19876-2",
        "Forced vital capacity [Volume] Respiratory system by Spirometry --pre bronchodilation",
    ),
    "fvc_post": (
        "19874-7",
        "Forced vital capacity [Volume] Respiratory system by Spirometry --post bronchodilation",
    ),
    "fev1fvc_pre": ("19926-5", "FEV1/FVC"),
    "fev1fvc_post": ("19926-5", "FEV1/FVC"),
}
# Measured/predicted (%) as a component: FEV1 20152-5 (one code for both phases, §7.1);
# FVC 19871-3 pre and 19873-9 post (§7.1, pft-ig).
PERCENT_PREDICTED_LOINC: Final[dict[str, tuple[str, str]]] = {
    "fev1_pre": ("20152-5", "FEV1 measured/predicted"),
    "fev1_post": ("20152-5", "FEV1 measured/predicted"),
    "fvc_pre": ("19871-3", "FVC measured/predicted --pre bronchodilation"),
    "fvc_post": ("19873-9", "FVC measured/predicted --post bronchodilation"),
}
# FEF25-75: no LOINC code in §7.1.
SPIROMETRY_LOCAL: Final[dict[str, tuple[str, str]]] = {
    "fef2575_pre": ("fef2575-pre", "FEF25-75 pre-bronchodilator"),
}
# What the import takes: the measured volumes, by LOINC code (§7.1), as diagnostics'
# field names.
IMPORT_VOLUMES: Final[dict[str, str]] = {
    "20157-4": "fev1_pre_l",
    "20155-8": "fev1_post_l",
    "19876-2": "fvc_pre_l",
    "19874-7": "fvc_post_l",
}
FEV1_FVC_LOINC: Final = "19926-5"

# Components of every spirometry result (Respira's codes: none in §7.1).
PREDICTED: Final = ("predicted", "Predicted value (reference equations)")
LLN: Final = ("lln", "Lower limit of normal (5th centile)")
ULN: Final = ("uln", "Upper limit of normal (95th centile)")
Z_SCORE: Final = ("z-score", "z-score against the reference equations")
PHASE: Final = ("bronchodilator-phase", "Bronchodilator phase")
PHASES: Final[dict[str, str]] = {"pre": "pre-bronchodilator", "post": "post-bronchodilator"}
BRONCHODILATOR: Final = ("bronchodilator", "Bronchodilator given before the post test")
BRONCHODILATOR_DOSE: Final = ("bronchodilator-dose", "Bronchodilator dose")
ETHNICITY: Final = ("gli-2012-group", "Reference group of the GLI-2012 equations")
INTERPRETATION_PANEL: Final = ("spirometry-interpretation", "Spirometry interpretation")
PATTERN: Final = ("spirometry-pattern", "Pattern (ATS/ERS 2022)")
SEVERITY: Final = ("spirometry-severity", "Severity of the impairment (ATS/ERS 2022)")
BDR_2022: Final = ("bdr-2022", "Bronchodilator response (ATS/ERS 2022: > 10 % of predicted)")
BDR_2005: Final = ("bdr-2005", "Bronchodilator response (ATS/ERS 2005: ≥ 12 % and ≥ 200 mL)")
# The reference equations as the observation's method.
EQUATIONS: Final[dict[str, str]] = {
    "gli-global": "GLI Global 2022 (race-neutral)",
    "gli-2012": "GLI-2012",
}


# --- markers (§7.1) ---------------------------------------------------------------------

# Field of a marker panel → (LOINC, display, UCUM code, unit shown).
MARKERS: Final[dict[str, tuple[str, str, str, str]]] = {
    "blood_eosinophils_per_ul": (
        "26449-9",
        "Eosinophils [#/volume] in Blood",
        "/uL",
        "cells/µL",
    ),
    "feno_ppb": (
        "96269-6",
        "Fractional concentration of exhaled nitric oxide",
        "[ppb]",
        "ppb",
    ),
    "total_ige_iu_ml": ("19113-0", "IgE [Units/volume] in Serum or Plasma", "[IU]/mL", "IU/mL"),
}
MARKER_SLUGS: Final[dict[str, str]] = {
    "blood_eosinophils_per_ul": "eosinophils",
    "feno_ppb": "feno",
    "total_ige_iu_ml": "ige",
}


# --- questionnaires (§7.1) --------------------------------------------------------------

# Instrument → codings of its total score: ACT total 82668-5 (§7.1); ACQ "none found:
# a local code + SNOMED 763077003" (§7.1); C-ACT and the GINA symptom-control count have
# no code in §7.1.
SCORE_CODES: Final[dict[str, tuple[tuple[str, str, str], ...]]] = {
    "act": ((LOINC, "82668-5", "Asthma Control Test total score"),),
    "cact": ((RESPIRA, "cact-score", "Childhood Asthma Control Test total score"),),
    "acq5": (
        (RESPIRA, "acq5-score", "Asthma Control Questionnaire (5 items) score"),
        (SNOMED, "763077003", "Asthma Control Questionnaire score"),
    ),
    "acq6": (
        (RESPIRA, "acq6-score", "Asthma Control Questionnaire (6 items) score"),
        (SNOMED, "763077003", "Asthma Control Questionnaire score"),
    ),
    "acq7": (
        (RESPIRA, "acq7-score", "Asthma Control Questionnaire (7 items) score"),
        (SNOMED, "763077003", "Asthma Control Questionnaire score"),
    ),
    "gina": ((RESPIRA, "gina-symptom-control", "GINA symptom control (4 questions)"),),
}
INSTRUMENT_NAMES: Final[dict[str, str]] = {
    "act": "Asthma Control Test (ACT)",
    "cact": "Childhood Asthma Control Test (C-ACT)",
    "acq5": "Asthma Control Questionnaire, 5 items (ACQ-5)",
    "acq6": "Asthma Control Questionnaire, 6 items (ACQ-6)",
    "acq7": "Asthma Control Questionnaire, 7 items (ACQ-7)",
    "gina": "GINA symptom control",
}


# --- vital signs (§7.1) -----------------------------------------------------------------

# Field of a vital-signs row → (LOINC, display, UCUM code); blood pressure is the panel
# 85354-9 with systolic 8480-6 and diastolic 8462-4 as components.
VITALS: Final[dict[str, tuple[str, str, str]]] = {
    "temperature_c": ("8310-5", "Body temperature", "Cel"),
    "heart_rate_bpm": ("8867-4", "Heart rate", "/min"),
    "respiratory_rate_per_min": ("9279-1", "Respiratory rate", "/min"),
    "spo2_pct": ("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry", "%"),
}
VITAL_SLUGS: Final[dict[str, str]] = {
    "temperature_c": "temperature",
    "heart_rate_bpm": "heart-rate",
    "respiratory_rate_per_min": "respiratory-rate",
    "spo2_pct": "spo2",
    "blood_pressure": "blood-pressure",
}
BLOOD_PRESSURE: Final = ("85354-9", "Blood pressure panel")
SYSTOLIC: Final = ("8480-6", "Systolic blood pressure")
DIASTOLIC: Final = ("8462-4", "Diastolic blood pressure")
BODY_WEIGHT: Final = ("29463-7", "Body weight")
BODY_HEIGHT: Final = ("8302-2", "Body height")


# --- the condition (§7.2, §7.3) ----------------------------------------------------------

ASTHMA: Final = ("195967001", "Asthma (disorder)")
ALLERGIC_ASTHMA: Final = ("389145006", "Allergic asthma")
NON_ALLERGIC_ASTHMA: Final = ("266361008", "Non-allergic asthma")
EOSINOPHILIC_ASTHMA: Final = ("367542003", "Eosinophilic asthma")
# Severity by the treatment needed (GINA 2014–2018 wording, clinical.md §2.4: severe
# asthma needs step 4–5 treatment; mild and moderate asthma are controlled at steps 1–2
# and 3) → (the SNOMED CT code of the asthma, the SNOMED CT severity qualifier that
# FHIR's condition-severity value set takes).
SEVERITY_CODES: Final[dict[str, tuple[tuple[str, str], tuple[str, str]]]] = {
    "mild": (("370218001", "Mild asthma"), ("255604002", "Mild")),
    "moderate": (("370219009", "Moderate asthma"), ("6736007", "Moderate")),
    "severe": (("370221004", "Severe asthma"), ("24484000", "Severe")),
}
# WHO ICD-10 (§7.3; WHO ICD-10 has no eosinophilic-asthma code, ICD-10-CM's J82.83 is
# the US modification and not used).
ICD10_CODES: Final[dict[str, str]] = {
    "J45.0": "Predominantly allergic asthma",
    "J45.1": "Nonallergic asthma",
    "J45.9": "Asthma, unspecified",
}
# The rule that picks the codes is the diagnosis's own (science.diagnosis_codes): the
# medical summaries use the same one.
icd10 = diagnosis_codes.icd10
severity_by_step = diagnosis_codes.severity_by_step


def asthma_snomed(phenotype: str | None, sensitised: bool | None) -> list[tuple[str, str]]:
    """Asthma (195967001) and the phenotype's more specific codes (§7.2)."""
    found = [ASTHMA]
    if phenotype in diagnosis_codes.ALLERGIC:
        found.append(ALLERGIC_ASTHMA)
    elif sensitised is False:
        found.append(NON_ALLERGIC_ASTHMA)
    if phenotype in diagnosis_codes.EOSINOPHILIC:
        found.append(EOSINOPHILIC_ASTHMA)
    return found


# --- medication (§7.4) ------------------------------------------------------------------

# ATC codes of what the treatment history records: the inhaled corticosteroid, LABA and
# LAMA are recorded as classes (R03BA, R03AC, R03BB), maintenance oral corticosteroids as
# H02AB; biologics by substance (§7.4, all [V]; dupilumab sits under D11AH).
ICS: Final = ("R03BA", "Glucocorticoids (inhaled)")
LABA: Final = ("R03AC", "Selective beta-2-adrenoreceptor agonists (inhaled)")
LAMA: Final = ("R03BB", "Anticholinergics (inhaled)")
OCS: Final = ("H02AB", "Glucocorticoids (systemic)")
BIOLOGICS: Final[dict[str, tuple[str, str]]] = {
    "omalizumab": ("R03DX05", "omalizumab"),
    "reslizumab": ("R03DX08", "reslizumab"),
    "mepolizumab": ("R03DX09", "mepolizumab"),
    "benralizumab": ("R03DX10", "benralizumab"),
    "tezepelumab": ("R03DX11", "tezepelumab"),
    "dupilumab": ("D11AH05", "dupilumab"),
}


# --- the cell therapy (no code in §7) ----------------------------------------------------

ADMINISTRATION_CODES: Final[dict[str, tuple[str, str]]] = {
    "iv": ("msc-iv-infusion", "Intravenous infusion of mesenchymal stromal cells"),
    "nebulised": ("msc-nebulisation", "Nebulised mesenchymal stromal cells"),
}
SUPPORTING: Final = ("supporting-therapy", "Supporting therapy session")


# --- adverse events (HL7 R4 value sets) -------------------------------------------------

# Seriousness criteria (ICH E2A, clinical.md §4.2) → adverse-event-seriousness codes.
SERIOUSNESS: Final[dict[str, tuple[str, str]]] = {
    "death": ("SeriousResultsInDeath", "Results in death"),
    "life_threatening": ("SeriousIsLifeThreatening", "Is Life-threatening"),
    "hospitalisation": (
        "SeriousResultsInHospitalization",
        "Requires or prolongs inpatient hospitalization",
    ),
    "disability": ("SeriousResultsInDisability", "Results in persistent or significant disability"),
    "congenital_anomaly": ("SeriousIsBirthDefect", "Is a congenital anomaly/birth defect"),
    "important_medical_event": (
        "SeriousRequiresPreventImpair",
        "Requires intervention to prevent permanent impairment",
    ),
}
# Outcome (safety's words) → adverse-event-outcome codes.
AE_OUTCOMES: Final[dict[str, str]] = {
    "recovered": "resolved",
    "recovering": "recovering",
    "not_recovered": "ongoing",
    "recovered_with_sequelae": "resolvedWithSequelae",
    "fatal": "fatal",
    "unknown": "unknown",
}
# Causality (safety's WHO-UMC-like words) → adverse-event-causality-assess codes;
# "unrelated" has no code there and goes as text.
CAUSALITY: Final[dict[str, tuple[str, str]]] = {
    "definite": ("Certain", "Certain"),
    "probable": ("Probably-Likely", "Probably/Likely"),
    "possible": ("Possible", "Possible"),
    "unlikely": ("Unlikely", "Unlikely"),
}


def ctcae_severity(grade: int) -> tuple[str, str]:
    """CTCAE grade (clinical.md §4.1) → the R4 adverse-event-severity code: 1 mild,
    2 moderate, 3–5 severe (grades 4 and 5 go as the CTCAE grade extension too)."""
    if grade <= 1:
        return ("mild", "Mild")
    if grade == 2:
        return ("moderate", "Moderate")
    return ("severe", "Severe")


# --- documents --------------------------------------------------------------------------

# LOINC 18842-5 "Discharge summary" is LOINC's document type of a discharge summary
# (not in clinical.md §7; verified: see the sources above); the follow-up summary has no
# LOINC document type in §7 and goes with Respira's code.
DOCUMENT_TYPES: Final[dict[str, tuple[str, str, str]]] = {
    "discharge": (LOINC, "18842-5", "Discharge summary"),
    "follow_up": (RESPIRA, "follow-up-summary", "Follow-up summary after cell therapy"),
}
