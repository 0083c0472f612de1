"""A check-in: the baseline's questionnaire scored as at baseline, spirometry read
against the GLI equations as at diagnostics, exacerbations with their treatment and
severity, clear refusals that change nothing, one live check-in per window, late
answers kept as "completed late", staff entering a paper or phone check-in, and a
check-in entered in error retracted."""

from __future__ import annotations

import datetime as dt

import pytest

from respira.followup import service
from respira.followup.schemas import CheckInIn
from respira.kit.errors import Conflict, InvalidInput
from respira.kit.validation import decimal_age, today_utc
from respira.science.control import score_questionnaire
from respira.science.spirometry import interpret_session
from tests.followup.followup_helpers import ACT_ANSWERS, check_in_body


def _patient_with_open_check_in(fu, make_account, month=1, closes_in_days=5, **patient):
    stay = fu.stay(**patient)
    follow_up_id = fu.open_window(stay.pid, month, closes_in_days=closes_in_days)
    account = make_account("patient", patient_id=stay.pid)
    return stay, follow_up_id, account


def _answer(db, actor, follow_up_id, language="en", **body):
    with db.transaction() as s:
        return service.record_check_in(
            s,
            actor,
            follow_up_id,
            CheckInIn.model_validate(check_in_body(**body)),
            language=language,
        )


def _refusal(db, actor, follow_up_id, **body):
    with pytest.raises(InvalidInput) as exc, db.transaction() as s:
        service.record_check_in(
            s, actor, follow_up_id, CheckInIn.model_validate(check_in_body(**body)), language="en"
        )
    return exc.value.errors


def test_an_act_check_in_is_scored_as_at_baseline_and_stored_with_its_items(fu, db, make_account):
    stay, fid, pt = _patient_with_open_check_in(fu, make_account)
    out = _answer(db, pt.actor, fid, language="de")
    expected = score_questionnaire("act", ACT_ANSWERS)
    assert (out.instrument, out.score, out.band) == ("act", expected.score, expected.band)
    assert out.algorithm_version == expected.algorithm_version
    assert out.answers == ACT_ANSWERS and out.recall_days == 28
    assert (out.mode, out.respondent, out.language, out.on_behalf) == ("web", "self", "de", False)
    with db.session() as s:
        (f,) = [x for x in service.list_for_patient(s, pt.actor, stay.pid) if x.id == fid]
    assert f.state == "completed" and f.check_in_id == out.id


def test_the_change_from_baseline_is_read_against_the_acq_mcid(fu, db, make_account):
    pid = fu.patient()
    fu.baseline(pid, "acq6", [3, 2, 2, 3, 2, 2], days_ago=25)  # 2.333...
    fu.stay(pid)
    fid = fu.open_window(pid, 1, closes_in_days=5)
    pt = make_account("patient", patient_id=pid)
    out = _answer(db, pt.actor, fid, answers=[1, 1, 2, 1, 2, 1])  # 1.333...
    assert out.instrument == "acq6"
    assert out.baseline_score == pytest.approx(14 / 6)
    assert out.change_from_baseline == pytest.approx(-1.0)
    assert out.important_change is True
    # An ACT schedule asked with ACQ answers: the count is wrong, and says so.
    other = fu.stay()
    fid2 = fu.open_window(other.pid, 1, closes_in_days=5)
    errors = _refusal(db, fu.clinic.physician.actor, fid2, answers=[1, 1, 2, 1, 2, 1])
    assert errors["answers"] == "This questionnaire has 5 questions; please answer each of them."


def test_an_answer_outside_the_items_scale_names_the_item(fu, db, make_account):
    _stay, fid, pt = _patient_with_open_check_in(fu, make_account)
    errors = _refusal(db, pt.actor, fid, answers=[4, 4, 6, 3, 4])
    assert errors == {"answers.2": "Please choose an answer from 1 to 5."}


def test_spirometry_is_interpreted_with_the_gli_equations_as_at_diagnostics(fu, db, make_account):
    _stay, fid, pt = _patient_with_open_check_in(fu, make_account)
    out = _answer(db, pt.actor, fid, fev1_l=2.4, fvc_l=3.3)
    age = decimal_age(dt.date(1979, 4, 12), today_utc())
    ref = interpret_session(
        "gli-global", sex="F", age=age, height_cm=168.0, fev1_pre_l=2.4, fvc_pre_l=3.3
    )
    assert out.spirometry is not None
    assert out.spirometry.equations_version == ref.equations_version
    assert out.spirometry.results["fev1_pre"].pctpred == pytest.approx(
        ref.results["fev1_pre"].pctpred
    )
    assert out.spirometry.results["fev1_pre"].z == pytest.approx(ref.results["fev1_pre"].z)
    assert out.spirometry.pattern == ref.pattern


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"rescue_puffs_per_week": 401}, "rescue_puffs_per_week", "0 to 400"),
        ({"maintenance_ocs_mg_per_day": 120}, "maintenance_ocs_mg_per_day", "0 (none) to 100"),
        ({"fev1_l": 2450, "fvc_l": 3.3}, "fev1_l", "in litres"),
        ({"notes": "x" * 4001}, "notes", "at most 4000"),
    ],
)
def test_implausible_values_are_refused_at_the_edge_with_the_field_and_its_unit(
    body, field, message
):
    from pydantic import ValidationError

    from respira.followup.schemas import readable_errors

    with pytest.raises(ValidationError) as exc:
        CheckInIn.model_validate(check_in_body(**body))
    errors = readable_errors(exc.value)
    assert message in errors[field]


def test_fev1_above_fvc_beyond_the_tolerance_is_refused_on_both_fields_and_within_it_taken(
    fu, db, make_account
):
    _stay, fid, pt = _patient_with_open_check_in(fu, make_account)
    errors = _refusal(db, pt.actor, fid, fev1_l=3.5, fvc_l=3.3)
    assert set(errors) == {"fev1_l", "fvc_l"} and "0.15 L" in errors["fev1_l"]
    assert _refusal(db, pt.actor, fid, fev1_l=2.4) == {
        "fvc_l": "Enter FEV1 and FVC together, or neither."
    }
    out = _answer(db, pt.actor, fid, fev1_l=3.45, fvc_l=3.3)  # 150 mL: within
    assert out.fev1_l == 3.45


def test_medication_changes_need_their_text_and_no_change_takes_none(fu, db, make_account):
    _stay, fid, pt = _patient_with_open_check_in(fu, make_account)
    assert "medication_changes" in _refusal(db, pt.actor, fid, medication_changed=True)
    assert "medication_changes" in _refusal(
        db, pt.actor, fid, medication_changed=False, medication_changes="stopped LAMA"
    )


def test_exacerbations_are_counted_with_severity_from_their_treatment(fu, db, make_account):
    _stay, fid, pt = _patient_with_open_check_in(fu, make_account)
    out = _answer(
        db,
        pt.actor,
        fid,
        exacerbations=[
            {
                "started_on": (today_utc() - dt.timedelta(days=20)).isoformat(),
                "corticosteroid_course": True,
                "hospitalisation": True,
            },
            {"emergency_visit": True},  # an emergency visit without corticosteroids
            {},
        ],
        maintenance_ocs_mg_per_day=5,
    )
    assert out.exacerbation_count == 3 and out.severe_exacerbation_count == 1
    assert [e.severity for e in out.exacerbations] == ["severe", "moderate", "moderate"]
    assert out.maintenance_ocs_mg_per_day == 5


def test_an_attack_after_the_answer_day_is_refused(fu, db, make_account):
    _stay, fid, pt = _patient_with_open_check_in(fu, make_account)
    tomorrow = (today_utc() + dt.timedelta(days=1)).isoformat()
    errors = _refusal(db, pt.actor, fid, exacerbations=[{"started_on": tomorrow}])
    assert "exacerbations.0.started_on" in errors


def test_acq7_takes_its_seventh_item_from_the_check_ins_spirometry(fu, db, make_account):
    pid = fu.patient()
    fu.baseline(pid, "acq7", [1, 1, 1, 1, 1, 1, 85.0])
    fu.stay(pid)
    fid = fu.open_window(pid, 1, closes_in_days=5)
    pt = make_account("patient", patient_id=pid)
    errors = _refusal(db, pt.actor, fid, answers=[1, 1, 1, 1, 1, 1])
    assert errors["fev1_l"].startswith("Your questionnaire includes your lung function")
    out = _answer(db, pt.actor, fid, answers=[1, 1, 1, 1, 1, 1], fev1_l=2.4, fvc_l=3.3)
    pct = out.spirometry.results["fev1_pre"].pctpred
    expected = score_questionnaire("acq7", [1, 1, 1, 1, 1, 1, round(pct, 1)])
    assert out.score == pytest.approx(expected.score) and len(out.answers) == 7


def test_a_check_in_before_its_window_opens_is_refused(fu, db, make_account):
    stay = fu.stay()
    pt = make_account("patient", patient_id=stay.pid)
    fid = fu.follow_up_id(stay.pid, 1)
    with pytest.raises(Conflict) as exc, db.transaction() as s:
        service.record_check_in(
            s, pt.actor, fid, CheckInIn.model_validate(check_in_body()), language="en"
        )
    assert "opens on" in exc.value.message


def test_a_window_takes_one_check_in(fu, db, make_account):
    _stay, fid, pt = _patient_with_open_check_in(fu, make_account)
    _answer(db, pt.actor, fid)
    with pytest.raises(Conflict), db.transaction() as s:
        service.record_check_in(
            s, pt.actor, fid, CheckInIn.model_validate(check_in_body()), language="en"
        )


def test_an_answer_after_the_window_closed_is_kept_as_completed_late(fu, db, make_account):
    _stay, fid, pt = _patient_with_open_check_in(fu, make_account, closes_in_days=-3)
    with db.session() as s:
        assert service.get_follow_up(s, pt.actor, fid).state == "missed"
    _answer(db, pt.actor, fid)
    with db.session() as s:
        assert service.get_follow_up(s, pt.actor, fid).state == "completed_late"


def test_staff_enter_a_paper_check_in_with_the_day_the_patient_answered(fu, db):
    stay = fu.stay()
    fid = fu.open_window(stay.pid, 1, closes_in_days=-2)  # closed two days ago
    coordinator = fu.clinic.make_account("coordinator").actor
    answered = today_utc() - dt.timedelta(days=4)  # within the window
    out = _answer(db, coordinator, fid, answered_on=answered.isoformat(), mode="paper")
    assert (out.answered_on, out.mode, out.on_behalf) == (answered, "paper", True)
    with db.session() as s:
        assert service.get_follow_up(s, coordinator, fid).state == "completed"


def test_only_staff_give_the_answer_day_and_never_before_the_window_or_in_the_future(
    fu, db, make_account
):
    _stay, fid, pt = _patient_with_open_check_in(fu, make_account)
    assert "answered_on" in _refusal(db, pt.actor, fid, answered_on=today_utc().isoformat())
    doc = fu.clinic.physician.actor
    future = (today_utc() + dt.timedelta(days=1)).isoformat()
    assert "answered_on" in _refusal(db, doc, fid, answered_on=future)
    with db.session() as s:
        start = service.get_follow_up(s, doc, fid).window_start
    before = (start - dt.timedelta(days=1)).isoformat()
    assert "opened on" in _refusal(db, doc, fid, answered_on=before)["answered_on"]


def test_a_patient_answers_only_their_own_check_in(fu, db, make_account):
    _stay, fid, _pt = _patient_with_open_check_in(fu, make_account)
    stranger = make_account("patient")
    from respira.kit.errors import NotFound

    with pytest.raises(NotFound), db.transaction() as s:
        service.record_check_in(
            s, stranger.actor, fid, CheckInIn.model_validate(check_in_body()), language="en"
        )


def test_a_retracted_check_in_stops_counting_and_the_window_may_be_answered_again(
    fu, db, make_account
):
    _stay, fid, pt = _patient_with_open_check_in(fu, make_account)
    _answer(db, pt.actor, fid)
    doc = fu.clinic.physician.actor
    with db.transaction() as s:
        service.retract_check_in(s, doc, fid, "entered for the wrong patient")
    with db.session() as s:
        detail = service.get_follow_up(s, pt.actor, fid)
    assert detail.state == "open" and detail.check_in is None
    assert _answer(db, pt.actor, fid).id != detail.check_in_id


def test_a_patient_without_a_recorded_height_is_told_why_spirometry_cannot_be_read(
    fu, db, make_account
):
    _stay, fid, pt = _patient_with_open_check_in(fu, make_account, height_cm=None)
    errors = _refusal(db, pt.actor, fid, fev1_l=2.4, fvc_l=3.3)
    assert "height" in errors["fev1_l"]
