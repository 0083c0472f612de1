"""``respira model run|simulate|sensitivity``: the command contract of issue 15 (the JSON
of a run, cohorts streamed to Parquet and read back, reproducibility whatever the block
size, the sensitivity ranking) and its refusals (exit status 2 naming what is wrong)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from respira.mechanism import cohorts
from respira.mechanism.cli import app
from respira.science import model

runner = CliRunner()


def invoke(*args: str) -> Any:
    return runner.invoke(app, [str(a) for a in args])


def run_json(*args: str) -> dict[str, Any]:
    result = invoke("run", *args)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


# --- run ------------------------------------------------------------------------------


def test_run_prints_days_states_and_observables_from_the_default_initial_state():
    data = run_json("--days", "28", "--output-days", "0,1,7,28")
    assert data["days"] == [0, 1, 7, 28]
    assert list(data["states"]) == list(model.STATES)
    assert list(data["observables"]) == list(model.OBSERVABLES)
    assert [data["states"][s][0] for s in model.STATES] == pytest.approx(
        list(model.DEFAULT_INITIAL), abs=1e-12
    )
    assert data["label"] == model.HEURISTIC_LABEL
    # The same run through the core at the contract's tolerance.
    direct = model.run(
        model.parameters("t2-high"),
        model.Scenario(),
        days=28,
        output_days=[0, 1, 7, 28],
        y0=model.DEFAULT_INITIAL,
        rtol=1e-9,
        atol=1e-12,
    )
    assert np.allclose(np.array([data["states"][s] for s in model.STATES]).T, direct.states)


def test_run_set_phenotype_and_dose_change_the_result():
    base = run_json("--days", "60", "--output-days", "60")
    primed = run_json("--days", "60", "--output-days", "60", "--set", "s_T=1.2")
    severe = run_json("--days", "60", "--output-days", "60", "--phenotype", "severe")
    assert primed["states"]["T2"][0] > base["states"]["T2"][0]
    assert primed["states"] == severe["states"]  # severe is s_T = 1.2 (spec §7)
    dosed = run_json("--days", "60", "--output-days", "60", "--dose", "30:2")
    assert dosed["states"]["Ea"][0] < base["states"]["Ea"][0]


def test_run_from_the_chronic_state_starts_where_the_burn_in_ends():
    data = run_json("--days", "7", "--output-days", "0", "--start", "chronic")
    chronic = model.chronic_state(model.parameters("t2-high"))
    assert [data["states"][s][0] for s in model.STATES] == pytest.approx(list(chronic))


def test_run_csv_and_table_formats_carry_the_same_numbers():
    result = invoke("run", "--days", "7", "--output-days", "0,7", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(result.stdout.splitlines()))
    assert [r["day"] for r in rows] == ["0", "7"]
    as_json = run_json("--days", "7", "--output-days", "0,7")
    assert float(rows[1]["Ea"]) == as_json["states"]["Ea"][1]
    assert model.HEURISTIC_LABEL in result.stderr
    table = invoke("run", "--days", "7", "--output-days", "0,7", "--format", "table")
    assert table.exit_code == 0 and "fev1_pct_pred" in table.stdout


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("--set", "s_Tx=1"), "s_Tx"),
        (("--set", "s_T=-1"), "s_T"),
        (("--set", "s_T"), "NAME=VALUE"),
        (("--dose", "0:-2"), "negative"),
        (("--dose", "0-2"), "DAY:AMOUNT"),
        (("--days", "30", "--dose", "45:1"), "Day 45 is outside"),
        (("--days", "30", "--output-days", "1,31"), "Day 31 is outside"),
        (("--output-days", "1,x"), "--output-days"),
        (("--phenotype", "mild"), "mild"),
    ],
)
def test_run_refuses_bad_input_with_status_2_naming_it(args, named):
    result = invoke("run", *args)
    assert result.exit_code == 2, result.output
    assert named in result.output


# --- simulate -------------------------------------------------------------------------


def simulate(out: Path, *extra: str, patients: int = 12) -> Any:
    return invoke(
        "simulate", "--patients", str(patients), "--days", "60", "--dose", "0:2",
        "--backend", "numpy", "--output-days", "0,30,60", "--seed", "7", "--out", str(out),
        "--no-progress", *extra,
    )  # fmt: skip


def test_simulate_writes_one_row_per_patient_and_output_day_to_parquet(tmp_path):
    out = tmp_path / "cohort.parquet"
    result = simulate(out)
    assert result.exit_code == 0, result.output
    table = pq.read_table(out)
    assert table.column_names == ["patient", "day", *model.OBSERVABLES]
    assert table.num_rows == 12 * 3
    data = table.to_pydict()
    assert data["patient"][:4] == [0, 0, 0, 1]
    assert data["day"][:4] == [0.0, 30.0, 60.0, 0.0]
    meta = table.schema.metadata
    assert meta[cohorts.LABEL_KEY].decode() == model.HEURISTIC_LABEL
    run = json.loads(meta[cohorts.METADATA_KEY])
    assert run["seed"] == 7 and run["doses"] == [[0.0, 2.0]] and run["backend"] == "numpy"
    # The rows are the core's own cohort run of the same patients.
    params = cohorts.cohort_parameters(7, 0, 12, "t2-high")
    states = model.simulate_cohort(
        params, model.Scenario(doses=(model.Dose(0, 2),)), days=60, output_days=[0, 30, 60],
        backend="numpy", y0=model.DEFAULT_INITIAL,
    )  # fmt: skip
    expected = model.observables(states, params)["blood_eos_per_ul"].reshape(-1)
    assert np.allclose(data["blood_eos_per_ul"], expected, rtol=1e-12)
    assert "wrote 36 rows" in result.stderr


def test_simulate_gives_the_same_file_whatever_the_block_size(tmp_path):
    a, b = tmp_path / "a.parquet", tmp_path / "b.parquet"
    # Blocks [900, 1200) and [1000, 1030) cross the first chunk of draws (1,024 patients).
    assert simulate(a, "--block-size", "300", "--backend", "numba", patients=1030).exit_code == 0
    assert simulate(b, "--block-size", "1000", "--backend", "numba", patients=1030).exit_code == 0
    left, right = pq.read_table(a), pq.read_table(b)
    assert left.equals(right)


def test_patient_parameters_depend_only_on_the_seed_and_the_patient():
    whole = cohorts.cohort_parameters(3, 0, 3000, "t2-high")
    part = cohorts.cohort_parameters(3, 1020, 10, "t2-high")
    assert np.array_equal(whole[1020:1030], part)
    assert not np.array_equal(whole, cohorts.cohort_parameters(4, 0, 3000, "t2-high"))


def test_simulate_trajectories_writes_every_state(tmp_path):
    out = tmp_path / "traj.parquet"
    result = simulate(out, "--trajectories", patients=3)
    assert result.exit_code == 0, result.output
    table = pq.read_table(out)
    assert table.column_names == ["patient", "day", *model.STATES]
    assert table.num_rows == 9
    assert all(v >= 0 for name in model.STATES for v in table.column(name).to_pylist())


def test_simulate_in_float32_writes_float32_columns_close_to_float64(tmp_path):
    a, b = tmp_path / "f64.parquet", tmp_path / "f32.parquet"
    assert simulate(a, patients=4).exit_code == 0
    assert simulate(b, "--dtype", "float32", patients=4).exit_code == 0
    left, right = pq.read_table(a), pq.read_table(b)
    assert str(right.schema.field("fev1_pct_pred").type) == "float"
    for name in model.OBSERVABLES:
        assert np.allclose(left.column(name), right.column(name), rtol=1e-3)


def test_simulate_with_numba_matches_numpy(tmp_path):
    a, b = tmp_path / "numpy.parquet", tmp_path / "numba.parquet"
    assert simulate(a, patients=20).exit_code == 0
    result = simulate(b, "--backend", "numba", patients=20)
    assert result.exit_code == 0, result.output
    left, right = pq.read_table(a), pq.read_table(b)
    for name in model.OBSERVABLES:
        assert np.allclose(left.column(name), right.column(name), rtol=1e-9)


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        (("--backend", "torch"), "torch"),
        (("--dose", "0:-1"), "negative"),
        (("--dose", "90:1"), "Day 90 is outside"),
        (("--output-days", "0,61"), "Day 61 is outside"),
    ],
)
def test_simulate_refuses_bad_input_and_writes_nothing(tmp_path, extra, named):
    out = tmp_path / "x.parquet"
    result = simulate(out, *extra)
    assert result.exit_code == 2, result.output
    assert named in result.output
    assert list(tmp_path.iterdir()) == []


def test_simulate_says_how_to_install_a_gpu_engine_that_is_missing(tmp_path):
    jax = pytest.importorskip("jax")
    if any(d.platform == "gpu" for d in jax.devices()):
        pytest.skip("this machine has a GPU: the GPU engine is there")
    result = simulate(tmp_path / "gpu.parquet", "--backend", "jax", "--device", "gpu", patients=2)
    assert result.exit_code == 2, result.output
    assert "install" in result.output.lower()


def test_simulate_refuses_an_output_file_that_is_not_parquet(tmp_path):
    result = simulate(tmp_path / "cohort.csv")
    assert result.exit_code == 2 and ".parquet" in result.output


# --- sensitivity ----------------------------------------------------------------------


@pytest.mark.parametrize(("method", "top"), [("sobol", "ST"), ("morris", "mu_star")])
def test_sensitivity_ranks_the_parameters_that_drive_the_observable(tmp_path, method, top):
    out = tmp_path / "ranking.csv"
    result = invoke(
        "sensitivity", "--observable", "blood_eos_per_ul", "--day", "30", "--method", method,
        "--samples", "16", "--parameters", "s_E,d_Eb,S_max", "--backend", "numpy",
        "--seed", "1", "--out", out, "--no-progress",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open()))
    assert [r["parameter"] for r in rows][-1] == "S_max"  # ASM size: no path to eosinophils
    assert float(rows[-1][top]) == pytest.approx(0.0, abs=1e-6)
    assert float(rows[0][top]) > 0.1
    assert {"rank", "low", "high", top} <= set(rows[0])
    assert "S_max" in result.stdout and model.HEURISTIC_LABEL.split(":")[0] in result.stdout


def test_sensitivity_writes_json_with_the_label(tmp_path):
    out = tmp_path / "ranking.json"
    result = invoke(
        "sensitivity", "--observable", "feno_ppb", "--day", "20", "--samples", "8",
        "--parameters", "a_T4,K_4", "--backend", "numpy", "--out", out, "--no-progress",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["label"] == model.HEURISTIC_LABEL
    assert data["runs"] == 8 * (2 + 2)  # Saltelli: N (k + 2) without second order
    assert {p["parameter"] for p in data["parameters"]} == {"a_T4", "K_4"}


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        (("--observable", "fev2"), "fev2"),
        (("--parameters", "s_T,nope"), "nope"),
        (("--day", "-1"), "outside"),
        (("--out", "ranking.txt"), ".csv or .json"),
    ],
)
def test_sensitivity_refuses_bad_input(tmp_path, extra, named):
    args = {
        "--observable": "feno_ppb",
        "--day": "20",
        "--out": str(tmp_path / "r.csv"),
        "--parameters": "s_T,k_A",
        "--backend": "numpy",
    }
    args.update(dict(zip(extra[::2], extra[1::2], strict=True)))
    result = invoke("sensitivity", *(x for pair in args.items() for x in pair))
    assert result.exit_code == 2, result.output
    assert named in result.output
    assert list(tmp_path.iterdir()) == []


def test_a_refused_dose_is_quoted_as_typed_not_turned_into_an_emoji():
    # Rich reads ":-1:" as an emoji code unless told not to.
    result = invoke("run", "--dose", "0:-1")
    assert result.exit_code == 2
    assert "--dose 0:-1:" in result.output and "\N{THUMBS DOWN SIGN}" not in result.output
