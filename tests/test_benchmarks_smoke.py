"""The benchmark harness runs end to end on tiny sizes, so it cannot rot (no timing targets)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_benchmark_harness_smoke_run() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--smoke"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "smoke run complete" in proc.stdout
    rows = (
        "moons step, hand loop",
        "moons step through `training.fit`",
        "moons step, hand loop on the reference engine",
        "moons step, engine path",
        "digits epoch, hand loop",
        "digits epoch through `training.fit`",
        "digits held-out accuracy",
        "bytes per node",
        "chain of",
        "ag.sum",
        "save / load",
    )
    for row in rows:
        assert row in proc.stdout, row
    # the training steps (three moons rows, two digits rows) are reported against the floor,
    # which each run checks does the same work
    assert proc.stdout.count("× the floor**") == 5


def test_a_ratio_pairs_the_runs_of_each_round() -> None:
    from benchmarks.run import Measurement, ratio

    # round 1: ours 2× theirs; round 2 (a slow spell for both): equal; round 3: ours 3×
    ours = Measurement("w", "ag", 1, 2, rounds=[[2.0, 2.0], [8.0, 8.0], [3.0, 3.0]])
    theirs = Measurement("w", "floor", 1, 2, rounds=[[1.0, 1.0], [8.0, 8.0], [1.0, 1.0]])
    assert ratio(ours, theirs) == 2.0  # the median of 2, 1 and 3
    ours.rounds.append([1.0])
    with pytest.raises(ValueError):  # rounds that do not pair up are an error, not a guess
        ratio(ours, theirs)
