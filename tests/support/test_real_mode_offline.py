"""The offline proof of real mode passes: separate processes, no control API, coin withdrawals, a scaled clock."""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.offline_proof
def test_real_mode_offline_passes_and_skips_only_emulator_only_scenarios() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}  # not a worker of this run
    result = subprocess.run(["bash", "scripts/real_mode_offline.sh"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=300)
    output = result.stdout + result.stderr
    failures = "\n".join(line for line in output.splitlines() if line.startswith(("FAILED", "ERROR", "E ")))
    assert result.returncode == 0, failures[:4000] + "\n...\n" + output[-2000:]
    assert "failed" not in output and "Traceback" not in output
    skipped = re.findall(r"^  skipped: (\S+): (.*)$", output, re.MULTILINE)
    assert skipped and all("needs the emulator's sandbox control API" in reason for _, reason in skipped), skipped
    assert re.search(r"real mode offline: wall time [0-9.]+ s; longest single scenario [0-9.]+ s", output)
