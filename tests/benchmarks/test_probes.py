"""The benchmark scripts run as README's commands run them, from any directory, and their
figures come from calls that got in: a probe whose every call failed would print figures of
the failure instead."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.integration
def test_the_cost_probe_measures_calls_that_join(tmp_path: Path) -> None:
    # A directory with no database of its own: the probe must use the one it prepared.
    done = subprocess.run(
        [sys.executable, "-m", "bench.dialin_cost", "--db", "sqlite", "--calls", "10"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    summary = re.search(r"(\d+) calls one at a time, (\d+) joined, errors (\d+)", done.stdout)
    assert summary is not None, done.stdout[-2000:]
    assert summary.groups() == ("10", "10", "0")
