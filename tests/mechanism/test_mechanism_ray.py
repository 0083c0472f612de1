"""``respira model simulate --ray ADDRESS``: the blocks run as Ray tasks on a cluster
that the test starts on this machine (two CPUs), and the file is the same as the one
simulated here, block for block."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest

pytestmark = [
    pytest.mark.slow,
    # JAX (imported by another test of the run) warns on every fork; subprocess and Ray
    # fork only to exec at once, which is safe.
    pytest.mark.filterwarnings("ignore:os.fork\\(\\) was called:RuntimeWarning"),
]

ARGS = (
    "simulate", "--patients", "2500", "--days", "90", "--dose", "0:2", "--backend", "numba",
    "--output-days", "0,30,90", "--seed", "11", "--block-size", "600", "--no-progress",
)  # fmt: skip


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[str]:
    """A local Ray cluster (head node with 2 CPUs) for the module; its GCS address."""
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    try:
        yield str(ray.get_runtime_context().gcs_address)
    finally:
        ray.shutdown()


def _command(*extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "respira.mechanism.cli", *ARGS, *extra],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_simulate_on_a_ray_cluster_writes_the_same_file_as_here(ray_cluster, tmp_path: Path):
    here, there = tmp_path / "here.parquet", tmp_path / "ray.parquet"
    local = _command("--out", str(here))
    assert local.returncode == 0, local.stderr
    remote = _command("--out", str(there), "--ray", ray_cluster)
    assert remote.returncode == 0, remote.stderr
    assert pq.read_table(there).equals(pq.read_table(here))
    assert pq.read_table(there).num_rows == 2500 * 3


def test_an_unreachable_cluster_is_refused_at_once(tmp_path: Path):
    result = _command("--out", str(tmp_path / "x.parquet"), "--ray", "127.0.0.1:1")
    assert result.returncode == 2
    assert "cannot reach the Ray cluster at '127.0.0.1:1'" in result.stderr
    assert list(tmp_path.iterdir()) == []
