"""Loading a criteria set checks every rule: an unknown fact, operator or unit, a value
that does not fit, or a malformed criterion is refused with an error naming it."""

from __future__ import annotations

import pytest

from respira.screening import engine, service

HEAD = 'version = "clinic-2027.01"\ntitle = "Clinic screen"\n'


def criterion(rule: str, *, cid: str = "renal", kind: str = "exclusion", extra: str = "") -> str:
    return (
        f'[[criterion]]\nid = "{cid}"\nkind = "{kind}"\ndescription = "Severe renal failure"\n'
        f'source = "clinical.md §8.2"\n{extra}rule = {rule}\n'
    )


GOOD_RULE = '{ fact = "egfr_ml_min_1_73m2", op = "lt", value = 30, unit = "mL/min/1.73m²" }'


def problems(text: str) -> list[str]:
    with pytest.raises(engine.CriteriaError) as exc:
        engine.load(text)
    return exc.value.problems


def test_a_well_formed_set_loads_with_its_rule():
    loaded = engine.load(HEAD + criterion(GOOD_RULE))
    assert loaded.version == "clinic-2027.01"
    (c,) = loaded.criteria
    assert c.rule == engine.Leaf("egfr_ml_min_1_73m2", "lt", 30, "mL/min/1.73m²", None)
    assert c.required is True


def test_the_ascii_spelling_of_a_unit_is_accepted():
    loaded = engine.load(
        HEAD
        + criterion(
            '{ fact = "egfr_ml_min_1_73m2", op = "lt", value = 30, unit = "mL/min/1.73m2" }'
        )
    )
    rule = loaded.criteria[0].rule
    assert isinstance(rule, engine.Leaf) and rule.unit == "mL/min/1.73m²"


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (
            '{ fact = "egfr", op = "lt", value = 30, unit = "mL/min/1.73m²" }',
            "criterion 'renal': unknown fact 'egfr' (did you mean egfr_ml_min_1_73m2",
        ),
        (
            '{ fact = "egfr_ml_min_1_73m2", op = "below", value = 30, unit = "mL/min/1.73m²" }',
            "criterion 'renal': unknown operator 'below' for fact 'egfr_ml_min_1_73m2'",
        ),
        (
            '{ fact = "egfr_ml_min_1_73m2", op = "lt", value = 30, unit = "mL/min" }',
            "criterion 'renal': unknown unit 'mL/min' for fact 'egfr_ml_min_1_73m2', which is "
            "measured in 'mL/min/1.73m²'",
        ),
        (
            '{ fact = "egfr_ml_min_1_73m2", op = "lt", value = 30 }',
            "criterion 'renal': the rule on fact 'egfr_ml_min_1_73m2' must state its unit",
        ),
        (
            '{ fact = "dialysis", op = "eq", value = true, unit = "days" }',
            "criterion 'renal': fact 'dialysis' has no unit, but the rule gives 'days'",
        ),
        (
            '{ fact = "egfr_ml_min_1_73m2", op = "lt", value = "thirty", unit = "mL/min/1.73m²" }',
            "criterion 'renal': value 'thirty' does not fit fact 'egfr_ml_min_1_73m2'",
        ),
        (
            '{ fact = "dialysis", op = "eq", value = "yes" }',
            "criterion 'renal': value 'yes' does not fit fact 'dialysis' with operator 'eq': "
            "true or false",
        ),
        (
            '{ fact = "heart_failure_nyha", op = "in", value = ["3", "4"] }',
            "does not fit fact 'heart_failure_nyha' with operator 'in': "
            "one of none, I, II, III, IV",
        ),
        (
            '{ fact = "dialysis", op = "lt", value = 1 }',
            "criterion 'renal': operator 'lt' does not apply to fact 'dialysis' (bool",
        ),
        (
            '{ fact = "age_years", op = "between", value = [65, 18], unit = "years" }',
            "a list [low, high] of two numbers with low ≤ high",
        ),
        (
            '{ fact = "dialysis", op = "eq", value = true, window_days = 0 }',
            "criterion 'renal': 'window_days' must be a whole number of days",
        ),
        (
            '{ fact = "dialysis", op = "eq", value = true, window = 30 }',
            "criterion 'renal': unknown key 'window' in a rule",
        ),
        (
            '{ fact = "dialysis", op = "eq" }',
            "criterion 'renal': the rule on fact 'dialysis' needs a 'value'",
        ),
        (
            "{ any = [] }",
            "criterion 'renal': 'any' must be a non-empty list of rules",
        ),
        (
            '{ any = [{ fact = "dialysis", op = "eq", value = true }], all = [] }',
            "criterion 'renal': a group is a table with exactly one key",
        ),
        (
            '{ fact = "last_exacerbation", op = "within_days", value = -3, unit = "days" }',
            "a whole number of days",
        ),
        (
            '{ any = [{ any = [{ any = [{ any = [{ fact = "dialysis", op = "eq", value = true }] '
            "}] }] }] }",
            "criterion 'renal': rules may nest at most 4 levels deep",
        ),
        ('"eval(1)"', "criterion 'renal': a rule must be a table"),
    ],
)
def test_a_bad_rule_is_refused_with_an_error_naming_the_criterion(rule, message):
    found = problems(HEAD + criterion(rule))
    assert any(message in p for p in found), found


def test_a_nested_unknown_fact_is_found_too():
    rule = (
        '{ any = [{ fact = "dialysis", op = "eq", value = true }, '
        '{ fact = "gfr", op = "lt", value = 3 }] }'
    )
    assert problems(HEAD + criterion(rule)) == [
        "criterion 'renal': unknown fact 'gfr' (did you mean egfr_ml_min_1_73m2?)"
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (HEAD + criterion(GOOD_RULE, kind="contraindication"), "'kind' must be one of"),
        (
            HEAD + criterion(GOOD_RULE, extra="required = false\n"),
            "criterion 'renal': an exclusion is always required",
        ),
        (HEAD + criterion(GOOD_RULE, extra='severity = "high"\n'), "unknown key 'severity'"),
        (HEAD + criterion(GOOD_RULE, cid="Renal Failure"), "criterion #1: 'id' must be"),
        (
            HEAD + criterion(GOOD_RULE) + criterion(GOOD_RULE),
            "criterion 'renal': the id is used twice",
        ),
        (
            HEAD + criterion(GOOD_RULE).replace('source = "clinical.md §8.2"\n', ""),
            "criterion 'renal': 'source' must cite where the rule comes from",
        ),
        (HEAD + criterion(GOOD_RULE).replace("rule = ", "rules = "), "'rule' is missing"),
        (HEAD, "the set needs at least one [[criterion]]"),
        ('title = "x"\n' + criterion(GOOD_RULE), "'version' must be a string"),
        (HEAD.replace("clinic-2027.01", "a b"), "'version' must be a string"),
        (HEAD + 'author = "me"\n' + criterion(GOOD_RULE), "unknown top-level key 'author'"),
        (HEAD + "[[criterion]\nid = 1", "not valid TOML"),
    ],
)
def test_a_malformed_set_is_refused_with_a_clear_error(text, message):
    found = problems(text)
    assert any(message in p for p in found), found


def test_every_problem_is_listed_not_only_the_first():
    text = (
        HEAD
        + criterion('{ fact = "nope", op = "eq", value = 1 }', cid="one")
        + criterion('{ fact = "dialysis", op = "maybe", value = true }', cid="two")
    )
    found = problems(text)
    assert len(found) == 2
    assert found[0].startswith("criterion 'one'") and found[1].startswith("criterion 'two'")


def test_the_service_turns_problems_into_a_422_error_on_the_toml_field():
    from respira.kit.errors import InvalidInput

    with pytest.raises(InvalidInput) as exc:
        service.parse_criteria(HEAD + criterion('{ fact = "nope", op = "eq", value = 1 }'))
    assert exc.value.errors == {"toml": "criterion 'renal': unknown fact 'nope'"}


def test_a_criteria_set_larger_than_64_kib_is_refused():
    assert problems(HEAD + "# " + "x" * 70_000 + "\n" + criterion(GOOD_RULE)) == [
        "the criteria set is larger than 64 KiB"
    ]


def test_the_shipped_default_is_valid_and_names_its_version():
    assert service.shipped_default_version() == "respira-default-2026.12"
