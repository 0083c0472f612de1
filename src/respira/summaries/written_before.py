"""The sections of the summary about the time before treatment, in one language: the
diagnosis (asthma with its phenotype, severity and control as measured, the codes, the
programme's eligibility) and the diagnostics before treatment (the spirometry with its
ATS/ERS 2022 interpretation, z-score chart and table, the markers, the questionnaires,
chest imaging, the history of the year before). A spirometry value below the lower limit
of normal says "below the LLN" in words as well as in bold."""

from __future__ import annotations

from typing import Any

from respira.science.spirometry import Z_LLN
from respira.summaries import texts as t
from respira.summaries.blocks import Chart, Facts, Paragraph, Section, Table
from respira.summaries.content import SPIROMETRY_KEYS
from respira.summaries.texts import Words

EQUATIONS = {"gli-global": "GLI Global (Bowerman 2023)", "gli-2012": "GLI-2012 (Quanjer 2012)"}


def diagnosis(section: Section, d: dict[str, Any], _c: dict[str, Any], _: Words) -> None:
    measured = any(
        d[k] is not None for k in ("phenotype", "gina_step", "airflow_severity", "screening")
    )
    if not (measured or d["control"]):
        return
    items = [
        (
            _("Diagnosis"),
            _(
                "Asthma (SNOMED CT %(snomed)s); ICD-10 %(icd)s: %(label)s",
                snomed=", ".join(d["snomed"]),
                icd=d["icd10"],
                label=_(t.ICD10[d["icd10"]]),
            ),
        )
    ]
    if d["phenotype"] is not None:
        items.append(
            (
                _("Phenotype"),
                _(
                    "%(phenotype)s (markers of %(date)s)",
                    phenotype=_.label(t.PHENOTYPES, d["phenotype"]),
                    date=_.date(d["phenotype_on"]),
                ),
            )
        )
    if d["severity_by_step"] is not None:
        items.append(
            (
                _("Severity by treatment"),
                _(
                    "%(severity)s (GINA step %(step)s on %(date)s)",
                    severity=_(t.SEVERITY_BY_STEP[d["severity_by_step"]]),
                    step=d["gina_step"],
                    date=_.date(d["gina_step_on"]),
                ),
            )
        )
    if d["spirometry_pattern"] is not None:
        pattern = _.label(t.PATTERNS, d["spirometry_pattern"])
        if d["airflow_severity"] is not None:
            pattern += ", " + _.label(t.SEVERITIES, d["airflow_severity"])
        items.append((_("Lung function (ATS/ERS 2022)"), pattern))
    for q in d["control"]:
        label = _(
            "Control before treatment: %(instrument)s", instrument=t.INSTRUMENTS[q["instrument"]]
        )
        items.append((label, f"{t.control_text(q, _)}, {_.date(q['on'])}"))
    s = d["screening"]
    if s is not None:
        items.append(
            (
                _("Programme eligibility"),
                _(
                    "%(decision)s: screening signed by %(name)s on %(date)s (criteria %(version)s)",
                    decision=_.label(t.DECISIONS, s["decision"]),
                    name=s["signed_by"],
                    date=_.date(s["signed_at"]),
                    version=s["criteria_version"],
                ),
            )
        )
    section.blocks.append(Facts(items))
    section.blocks.append(
        Paragraph(
            _(
                "Severity by treatment follows the GINA 2014–2018 wording (the treatment step "
                "needed); the lung-function severity is the ATS/ERS 2022 grade of the "
                "impairment (z-score of FEV1)."
            ),
            "note",
        )
    )


def _z_rows(results: dict[str, Any], _: Words) -> list[dict[str, Any]]:
    rows = []
    for key, label in t.PARAMETERS.items():
        pre, post = results.get(f"{key}_pre"), results.get(f"{key}_post")
        if pre or post:
            rows.append(
                {
                    "label": _(label),
                    "pre": pre["z"] if pre else None,
                    "post": post["z"] if post else None,
                }
            )
    return rows


def _spirometry_blocks(s: dict[str, Any], _: Words) -> list[Any]:
    fev1 = s["results"].get("fev1_pre")
    severity = _.label(t.SEVERITIES, s["severity"]) if s["severity"] else _("no impairment graded")
    if fev1 is not None and s["severity"]:
        severity += " " + _("(FEV1 z-score %(z)s)", z=_.signed(fev1["z"], 2))
    items = [
        (_("Date"), _.date(s["on"])),
        (_("Reference equations"), EQUATIONS.get(s["equations"], s["equations"])),
        (
            _("Age and height at the test"),
            _(
                "%(age)s years, %(height)s cm",
                age=_.num(s["age_years"], 1),
                height=_.num(s["height_cm"], 0),
            ),
        ),
        (_("Pattern (ATS/ERS 2022)"), _.label(t.PATTERNS, s["pattern"])),
        (_("Severity of the impairment"), severity),
    ]
    if s["bdr"] is None:
        bdr = _("not tested")
    else:
        bdr = _(
            "%(result)s: FEV1 %(fev1)s, FVC %(fvc)s of the predicted value",
            result=_("positive") if s["bdr"] else _("negative"),
            fev1=_.signed(s["bdr_fev1_pct_pred_change"]) + " %",
            fvc=_.signed(s["bdr_fvc_pct_pred_change"]) + " %",
        )
        if s["bronchodilator"]:
            dose = _.num(s["bronchodilator_dose_ug"], 0) if s["bronchodilator_dose_ug"] else ""
            bdr += "; " + _("after %(drug)s %(dose)s µg", drug=s["bronchodilator"], dose=dose)
    items.append((_("Bronchodilator response (ERS/ATS 2022: more than 10% of predicted)"), bdr))
    if s["bdr_2005"] is not None:
        items.append(
            (
                _("Earlier rule (12% and 200 mL)"),
                _("positive") if s["bdr_2005"] else _("negative"),
            )
        )
    blocks: list[Any] = [Paragraph(_("Spirometry"), "subhead"), Facts(items)]
    z_rows = _z_rows(s["results"], _)
    if z_rows:
        described = "; ".join(
            f"{r['label']}: {_('before bronchodilator')} {_.signed(r['pre'], 2)}, "
            f"{_('after bronchodilator')} {_.signed(r['post'], 2)}"
            for r in z_rows
        )
        blocks.append(
            Chart(
                "zscore",
                _("z-scores against the lower limit of normal (LLN)"),
                _(
                    "z-scores with the lower limit of normal at z = %(lln)s. %(values)s.",
                    lln=_.signed(Z_LLN, 3),
                    values=described,
                ),
                {
                    "rows": z_rows,
                    "labels": {
                        "axis": _("z-score"),
                        "lln": _("LLN (z = %(z)s)", z=_.signed(Z_LLN, 3)),
                        "pre": _("before bronchodilator"),
                        "post": _("after bronchodilator"),
                        "below": _("below the LLN"),
                    },
                },
            )
        )
    rows: list[list[str]] = []
    strong: set[tuple[int, int]] = set()
    for key in SPIROMETRY_KEYS:
        r = s["results"].get(key)
        if r is None:
            continue
        parameter, phase, unit = t.SPIROMETRY_ROWS[key]
        digits = 2
        below = r["flag"] == "below_lln"
        if below:
            strong.add((len(rows), 5))
        rows.append(
            [
                _(t.PARAMETERS[parameter]) + (f" {_(unit)}" if unit else ""),
                _(phase),
                _.num(r["measured"], digits),
                _.num(r["pred"], digits),
                _.num(r["lln"], digits),
                _.signed(r["z"], 2) + (" " + _("below the LLN") if below else ""),
                _.num(r["pctpred"], 0),
            ]
        )
    blocks.append(
        Table(
            _("Spirometry: measured and reference values"),
            [
                _("Parameter"),
                _("Phase"),
                _("Measured"),
                _("Predicted"),
                _("LLN"),
                _("z-score"),
                _("% predicted"),
            ],
            rows,
            frozenset(strong),
            (1.3, 1.6, 0.9, 0.9, 0.8, 1.5, 0.9),
        )
    )
    return blocks


def diagnostics(section: Section, d: dict[str, Any], _c: dict[str, Any], _: Words) -> None:
    if d["spirometry"]:
        section.blocks += _spirometry_blocks(d["spirometry"], _)
    m = d["markers"]
    if m:
        items = [(_("Date"), _.date(m["on"]))]
        if m["blood_eosinophils_per_ul"] is not None:
            count = _.num(m["blood_eosinophils_per_ul"], 0)
            items.append((_("Blood eosinophils"), _("%(value)s cells/µL", value=count)))
        if m["feno_ppb"] is not None:
            feno = _("%(value)s ppb", value=_.num(m["feno_ppb"], 0))
            items.append((_("Exhaled nitric oxide (FeNO)"), feno))
        if m["total_ige_iu_ml"] is not None:
            ige = _("%(value)s IU/mL", value=_.num(m["total_ige_iu_ml"], 0))
            items.append((_("Total IgE"), ige))
        if m["sensitisations"]:
            tests = "; ".join(
                f"{s['allergen']}: {_('positive') if s['positive'] else _('negative')}"
                for s in m["sensitisations"]
            )
            items.append((_("Allergy tests"), tests))
        items.append(
            (
                _("Taken on oral corticosteroid or biologic"),
                _.yes_no(m["on_maintenance_ocs"] or m["on_biologic"]),
            )
        )
        items.append(
            (_("Phenotype (GINA 2024 type-2 rules)"), _.label(t.PHENOTYPES, m["phenotype"]))
        )
        section.blocks += [Paragraph(_("Inflammation markers"), "subhead"), Facts(items)]
    if d["questionnaires"]:
        items = [
            (f"{t.INSTRUMENTS[q['instrument']]}, {_.date(q['on'])}", t.control_text(q, _))
            for q in d["questionnaires"]
        ]
        section.blocks += [Paragraph(_("Asthma control"), "subhead"), Facts(items)]
    if d["imaging"]:
        items = [
            (
                f"{_.label(t.MODALITIES, i['modality'])}, {_.date(i['study_date'])}",
                (_("abnormal") if i["abnormal"] else _("normal")) + f": {i['findings']}",
            )
            for i in d["imaging"]
        ]
        section.blocks += [Paragraph(_("Chest imaging"), "subhead"), Facts(items)]
    h = d["history"]
    if h:
        items = [
            (_("Date"), _.date(h["on"])),
            (_("Severe exacerbations in the 12 months before"), str(h["severe_exacerbations_12m"])),
            (
                _("Hospital stays for asthma in the 12 months before"),
                str(h["hospitalisations_12m"]),
            ),
            (
                _("Reliever use"),
                _("%(puffs)s puffs a week", puffs=_.num(h["rescue_puffs_per_week"], 0)),
            ),
        ]
        section.blocks += [Paragraph(_("History of the 12 months before"), "subhead"), Facts(items)]
