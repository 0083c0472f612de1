"""The words the safety pages show for the step's codes, marked for translation (the
pages pass them through ``_()``). CTCAE term names, grade definitions and notes are
marked in ``ctcae_texts`` (the catalogue's own text); a page shows a term's translation
with CTCAE's English name beside it."""

from __future__ import annotations

from respira.kit.marks import N_

CRITERIA = {
    "death": N_("Results in death"),
    "life_threatening": N_("Life-threatening (at immediate risk of death at the time)"),
    "hospitalisation": N_("Hospitalisation, or a stay prolonged beyond the plan"),
    "disability": N_("Persistent or significant disability or incapacity"),
    "congenital_anomaly": N_("Congenital anomaly or birth defect"),
    "important_medical_event": N_("Important medical event (medical judgement)"),
}
CAUSALITY = {
    "unrelated": N_("Unrelated"),
    "unlikely": N_("Unlikely"),
    "possible": N_("Possible"),
    "probable": N_("Probable"),
    "definite": N_("Definite"),
}
# What each category means (clinical.md §4.2, paraphrased), shown beside the choice.
CAUSALITY_MEANINGS = {
    "unrelated": N_("a clear other cause, or implausible timing"),
    "unlikely": N_("timing makes it improbable; other causes more likely"),
    "possible": N_("plausible timing; could also be the disease or other drugs"),
    "probable": N_("plausible timing; other causes unlikely; dechallenge consistent"),
    "definite": N_("plausible timing; no other explanation; rechallenge or objective evidence"),
}
OUTCOMES = {
    "recovered": N_("Recovered"),
    "recovering": N_("Recovering"),
    "not_recovered": N_("Not recovered"),
    "recovered_with_sequelae": N_("Recovered with sequelae"),
    "fatal": N_("Fatal"),
    "unknown": N_("Unknown"),
}
REPORT_KINDS = {"initial": N_("Initial report"), "follow_up": N_("Follow-up report")}
ROSTER_ROLES = {"physician": N_("Physician on call"), "medical_director": N_("Medical director")}
