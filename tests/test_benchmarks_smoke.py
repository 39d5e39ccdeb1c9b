"""The benchmark harness runs end to end on tiny sizes, so it cannot rot (no timing targets)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


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
    for workload in ("moons step", "bytes per node", "chain of", "ag.sum"):
        assert workload in proc.stdout
