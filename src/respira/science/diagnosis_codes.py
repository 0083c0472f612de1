"""The codes of an asthma diagnosis (the medical summary's and FHIR's Condition), from
the phenotype, the allergy tests and the treatment step measured before treatment
(clinical.md §7.2 SNOMED CT, §7.3 WHO ICD-10).

- Asthma is SNOMED CT 195967001 always.
- ICD-10 (WHO): J45.0 "predominantly allergic asthma" when the phenotype is allergic
  (with or without eosinophilia: the allergic component is shown by the tests); J45.1
  "non-allergic asthma" when allergy tests were done and none was positive; otherwise
  J45.9 "asthma, unspecified" (WHO ICD-10 has no eosinophilic-asthma code; ICD-10-CM's
  J82.83 is the US modification, not used here).
- SNOMED CT adds allergic asthma 389145006, eosinophilic asthma 367542003 or non-allergic
  asthma 266361008 as the markers show, and the severity by treatment step (GINA
  2014–2018 wording, clinical.md §2.4: needs step 1–2 mild 370218001, step 3 moderate
  370219009, step 4–5 severe 370221004).
"""

from __future__ import annotations

ASTHMA_SNOMED = "195967001"
ALLERGIC = frozenset({"allergic", "allergic-eosinophilic"})
EOSINOPHILIC = frozenset({"eosinophilic", "allergic-eosinophilic"})


def icd10(phenotype: str | None, sensitised: bool | None) -> str:
    if phenotype in ALLERGIC:
        return "J45.0"
    if sensitised is False:
        return "J45.1"
    return "J45.9"


def severity_by_step(gina_step: int | None) -> str | None:
    """mild (steps 1–2), moderate (step 3) or severe (steps 4–5); None when unknown."""
    if gina_step is None:
        return None
    if gina_step >= 4:
        return "severe"
    return "moderate" if gina_step == 3 else "mild"


_SEVERITY_SNOMED = {"mild": "370218001", "moderate": "370219009", "severe": "370221004"}


def snomed(phenotype: str | None, sensitised: bool | None, gina_step: int | None) -> list[str]:
    codes = [ASTHMA_SNOMED]
    if phenotype in ALLERGIC:
        codes.append("389145006")
    elif sensitised is False:
        codes.append("266361008")
    if phenotype in EOSINOPHILIC:
        codes.append("367542003")
    severity = severity_by_step(gina_step)
    if severity is not None:
        codes.append(_SEVERITY_SNOMED[severity])
    return codes
