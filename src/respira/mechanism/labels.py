"""The words of the model's page that are written in Python: the names of the choices, of
the observables and of the eight steps of the cascade, marked with ``N_`` for Babel and
translated by the page in the reader's language (``locale/de``, ``locale/ru``).

The cascade follows the programme's patient material (allergen → antigen-presenting cell
→ Th2 → B cell → plasma cell → IgE → mast cell → mediators, with IL-4 closing "the
vicious cycle"); each step names the model states that stand for it
(``reference/mechanistic_model.md`` §1, §3 and §5) and what MSCs are thought to do
there (the ``th_*``, ``eta_*`` and ``rho_WQ`` terms of §5).
"""

from __future__ import annotations

from dataclasses import dataclass

from respira.kit.marks import N_

#: The label every output carries (the page translates it; files keep the model's own).
NOT_A_PREDICTION = N_(
    "An uncalibrated hypothesis, not a prediction for you or for any patient. The model "
    "turns a story about allergic inflammation into equations so that it can be explored; "
    "its numbers are not measured effects of any treatment."
)

# The choices of the scenario panel: short, so that a select fits a phone's width (390 px)
# in every language; the hints under them say more.
PHENOTYPE_LABELS: dict[str, str] = {
    "healthy": N_("Low type-2 susceptibility"),
    "t2-high": N_("Type-2-high asthma"),
    "severe": N_("Severe type-2 asthma"),
}
EXPOSURE_LABELS: dict[str, str] = {
    "perennial": N_("All year (house-dust mite)"),
    "seasonal": N_("Seasonal (pollen)"),
    "none": N_("None: allergen avoided"),
}
ROUTE_LABELS: dict[str, str] = {
    "iv": N_("Intravenous infusion"),
    "inhaled": N_("Inhaled"),
}
COMPARISON_LABELS: dict[str, str] = {
    "none": N_("None: MSC doses only"),
    "anti-il5": N_("Anti-IL-5-like (mepolizumab)"),
    "anti-ige": N_("Anti-IgE-like (omalizumab)"),
}


@dataclass(frozen=True)
class ObservableText:
    label: str
    unit: str
    decimals: int


#: The observables of spec §6 in clinical units, with the decimals the table shows.
OBSERVABLE_TEXT: dict[str, ObservableText] = {
    "feno_ppb": ObservableText(N_("FeNO (exhaled nitric oxide)"), "ppb", 0),
    "blood_eos_per_ul": ObservableText(N_("Blood eosinophils"), N_("cells/µL"), 0),
    "ige_iu_ml": ObservableText(N_("Total IgE"), N_("IU/mL"), 0),
    "sputum_eos_pct": ObservableText(N_("Sputum eosinophils"), "%", 1),
    "asm_mass_rel": ObservableText(N_("Airway smooth muscle mass"), N_("× healthy"), 2),
    "airway_resistance_rel": ObservableText(N_("Airway resistance"), N_("× healthy"), 2),
    "fev1_pct_pred": ObservableText(N_("FEV1"), N_("% predicted"), 0),
}


@dataclass(frozen=True)
class CascadeStep:
    """One box of the diagram: its name, what happens there, the model states that
    stand for it, and what MSCs are thought to do at this step ('' where nothing)."""

    number: int
    name: str
    what: str
    states: tuple[str, ...]
    msc: str


CASCADE: tuple[CascadeStep, ...] = (
    CascadeStep(
        1,
        N_("Allergen"),
        N_("Allergen (house-dust mite, pollen) is breathed in and lands on the airway lining."),
        ("A",),
        "",
    ),
    CascadeStep(
        2,
        N_("Antigen-presenting cell"),
        N_(
            "Dendritic cells take up the allergen and show it to T cells in the lymph node; "
            "alarm signals of an injured airway lining make them stronger."
        ),
        ("D", "W"),
        N_("thought to slow the maturation of dendritic cells"),
    ),
    CascadeStep(
        3,
        N_("Th2 cell"),
        N_(
            "Allergen-specific Th2 cells and innate ILC2 cells release IL-4, IL-13 and IL-5; "
            "regulatory T cells and regulatory macrophages hold them back."
        ),
        ("T2", "I", "R", "m"),
        N_("thought to calm Th2 and ILC2 cells and to raise regulatory T cells and macrophages"),
    ),
    CascadeStep(
        4,
        N_("B cell"),
        N_("With Th2 help and IL-4, B cells switch to making IgE."),
        ("P",),
        N_("thought to weaken the switch to IgE"),
    ),
    CascadeStep(
        5,
        N_("Plasma cell"),
        N_("IgE plasma cells live for weeks and secrete IgE."),
        ("P",),
        "",
    ),
    CascadeStep(
        6,
        N_("IgE"),
        N_("IgE circulates in the blood (half-life about 2.4 days) and binds to mast cells."),
        ("E",),
        "",
    ),
    CascadeStep(
        7,
        N_("Mast cell"),
        N_("Mast cells and basophils loaded with IgE wait for the next contact with allergen."),
        ("F",),
        N_("thought to make mast cells release less"),
    ),
    CascadeStep(
        8,
        N_("Mediators"),
        N_(
            "Histamine and leukotrienes narrow the airways; eosinophils are drawn from the "
            "blood into the airway, injure its lining, and the airway muscle thickens."
        ),
        ("Eb", "Ea", "W", "Sp", "Sc"),
        N_("thought to keep eosinophils out of the airway and to speed up repair of the lining"),
    ),
)

VICIOUS_CYCLE = N_(
    "The vicious cycle: IL-4 from Th2 cells makes more Th2 cells and more IgE, and an "
    "injured airway lining sends alarm signals that start the cascade again."
)
