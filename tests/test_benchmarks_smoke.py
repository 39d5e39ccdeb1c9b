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
    # the training steps are reported against the floor (which each run checks does the same work)
    assert proc.stdout.count("× the floor**") == 4
