"""The English text of the CTCAE catalogue (``ctcae_v5.toml``) marked for translation:
its term names, the generic meaning of each grade, each grade's definition and the
terms' notes. Babel finds text in Python and templates only, so the catalogue's text is
listed here as well; ``tests/safety/test_safety_translated.py`` fails when the TOML and
this list differ, and the catalogue test (``tests/kit/test_translations.py``) when a
German or Russian translation is missing.

What is stored and what the API answers stays CTCAE's English (the term name is the
value of an adverse event, MedDRA-coded); a page shows the translation beside it
(``safety/_macros.html``, ``term_name``).
"""

from __future__ import annotations

from respira.kit.marks import N_

# The term names (CTCAE's own English, the value stored and reported).
TERMS = (
    N_("Fever"),
    N_("Chills"),
    N_("Headache"),
    N_("Nausea"),
    N_("Fatigue"),
    N_("Infusion related reaction"),
    N_("Injection site reaction"),
    N_("Bruising"),
    N_("Allergic reaction"),
    N_("Anaphylaxis"),
    N_("Dyspnea"),
    N_("Bronchospasm"),
    N_("Hypotension"),
    N_("Hypoxia"),
    N_("Thromboembolic event"),
)

# The generic meaning of grades 1 to 5.
GENERIC = (
    N_(
        "Mild: no or mild symptoms; clinical or diagnostic observation only; no intervention "
        "indicated."
    ),
    N_(
        "Moderate: minimal, local or non-invasive intervention indicated; limits "
        "age-appropriate instrumental ADL (meals, shopping, telephone, money)."
    ),
    N_(
        "Severe or medically significant but not immediately life-threatening: hospitalisation "
        "or longer stay indicated; disabling; limits self-care ADL (bathing, dressing, "
        "feeding, toilet, medicines; not bedridden)."
    ),
    N_("Life-threatening consequences: urgent intervention indicated."),
    N_("Death related to the adverse event."),
)

# The grade definitions of the terms (each text once).
GRADES = (
    N_("38.0–39.0 °C"),
    N_(">39.0–40.0 °C"),
    N_(">40.0 °C for ≤24 hours"),
    N_(">40.0 °C for >24 hours"),
    N_("Death"),
    N_("Mild sensation of cold; shivering; chattering of teeth"),
    N_("Moderate tremor of the entire body; narcotics indicated"),
    N_("Severe or prolonged, not responsive to narcotics"),
    N_("Mild pain"),
    N_("Moderate pain; limiting instrumental ADL"),
    N_("Severe pain; limiting self-care ADL"),
    N_("Loss of appetite without alteration in eating habits"),
    N_("Oral intake decreased without significant weight loss, dehydration or malnutrition"),
    N_("Inadequate oral caloric or fluid intake; tube feeding, TPN, or hospitalisation indicated"),
    N_("Fatigue relieved by rest"),
    N_("Fatigue not relieved by rest; limiting instrumental ADL"),
    N_("Fatigue not relieved by rest, limiting self-care ADL"),
    N_("Mild transient reaction; infusion interruption not indicated; intervention not indicated"),
    N_(
        "Therapy or infusion interruption indicated but responds promptly to symptomatic "
        "treatment (e.g. antihistamines, NSAIDs, narcotics, IV fluids); prophylactic "
        "medications indicated for ≤24 hours"
    ),
    N_(
        "Prolonged (e.g. not rapidly responsive to symptomatic medication and/or brief "
        "interruption of infusion); recurrence of symptoms following initial improvement; "
        "hospitalisation indicated for clinical sequelae"
    ),
    N_("Life-threatening consequences; urgent intervention indicated"),
    N_("Tenderness with or without associated symptoms (e.g. warmth, erythema, itching)"),
    N_("Pain; lipodystrophy; oedema; phlebitis"),
    N_("Ulceration or necrosis; severe tissue damage; operative intervention indicated"),
    N_("Localised or in a dependent area"),
    N_("Generalised"),
    N_("Systemic intervention not indicated"),
    N_("Oral intervention indicated"),
    N_(
        "Bronchospasm; hospitalisation indicated for clinical sequelae; intravenous "
        "intervention indicated"
    ),
    N_(
        "Symptomatic bronchospasm, with or without urticaria; parenteral intervention "
        "indicated; allergy-related oedema or angioedema; hypotension"
    ),
    N_("Shortness of breath with moderate exertion"),
    N_("Shortness of breath with minimal exertion; limiting instrumental ADL"),
    N_("Shortness of breath at rest; limiting self-care ADL"),
    N_("Mild symptoms; intervention not indicated"),
    N_("Symptomatic; medical intervention indicated; limiting instrumental ADL"),
    N_("Limiting self-care ADL; oxygen saturation decreased"),
    N_("Asymptomatic, intervention not indicated"),
    N_("Non-urgent medical intervention indicated"),
    N_("Medical intervention indicated; hospitalisation indicated"),
    N_(
        "Decreased oxygen saturation with exercise (e.g. pulse oximeter <88%); intermittent "
        "supplemental oxygen"
    ),
    N_("Decreased oxygen saturation at rest (e.g. pulse oximeter <88% or PaO2 ≤55 mmHg)"),
    N_("Life-threatening airway compromise; urgent intervention indicated"),
    N_("Medical intervention not indicated"),
    N_("Medical intervention indicated"),
    N_("Urgent medical intervention indicated"),
    N_("Life-threatening consequences; haemodynamic or neurological instability"),
)

# The terms' notes (the navigational rules of clinical.md §4.1).
NOTES = (
    N_(
        "Record an allergic reaction to the infused agent as either Infusion related reaction "
        "or Allergic reaction, never both; fever that is part of an infusion reaction is "
        "graded here (clinical.md §4.1, navigational rule)."
    ),
    N_(
        "Use Infusion site extravasation for a leak of the infusion into the tissue "
        "(clinical.md §4.1)."
    ),
    N_(
        "Record an allergic reaction to the infused agent as either Infusion related reaction "
        "or Allergic reaction, never both (clinical.md §4.1, navigational rule)."
    ),
    N_(
        "Not recorded together with an Infusion related reaction to the same infusion "
        "(clinical.md §4.1, navigational rule)."
    ),
    N_(
        "CTCAE v6.0 reportedly replaces this term with Venous thromboembolism (clinical.md "
        "§4.1); the version is stored with every event."
    ),
)

MARKED = frozenset({*TERMS, *GENERIC, *GRADES, *NOTES})
