"""The standalone emulator's .env lines are all a rehearsal needs: --print-env's output, written to a file, starts the
reference merchant as a process (with its own database URL only) and configures the go-live suite, whose invoices
item 5 then passes against the emulator restarted on the same port and state file."""
from __future__ import annotations

import re
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

import pytest
import requests

from support.targets.offline_proof import clean_env, free_port, start
from support.targets.settings import SUITE_PREFIXES

ROOT = Path(__file__).resolve().parents[2]
SUITE_SECONDS = 300
# The suite's own pytest options and plugins' settings must not leak into the run under test.
OWN_PREFIXES = (*SUITE_PREFIXES, "PYTEST_XDIST", "PYTEST_ADDOPTS", "CRYPTOPAY_EMULATOR_")


def _env() -> dict[str, str]:
    return {key: value for key, value in clean_env().items() if not key.startswith(OWN_PREFIXES)}


@pytest.mark.slow
def test_print_env_configures_the_merchant_and_the_suite_for_a_passing_run(tmp_path: Path) -> None:
    emulator_port, merchant_port = free_port(), free_port()
    merchant_url = f"http://127.0.0.1:{merchant_port}"
    identity = [f"--port={emulator_port}", f"--state-file={tmp_path / 'state.json'}", "--rate-limit=0"]
    printed = subprocess.run([sys.executable, "-m", "cryptopay_emulator", "--print-env", *identity,
                              f"--merchant-url={merchant_url}"], cwd=ROOT, env=_env(), capture_output=True, text=True,
                             timeout=30)
    assert printed.returncode == 0, printed.stderr
    env_file = tmp_path / "rehearsal.env"
    env_file.write_text(printed.stdout, encoding="utf-8")
    with ExitStack() as stack:
        # Started only now, from the same port and state file: the printed lines must still be true.
        emulator = start("emulator", ["-m", "cryptopay_emulator", *identity, f"--merchant-url={merchant_url}"],
                         _env(), tmp_path, stack)
        assert emulator["callback_url"] == f"{merchant_url}/callbacks/cryptopay"
        merchant = start("reference merchant", ["-m", "reference_merchant", f"--port={merchant_port}",
                                                f"--env-file={env_file}"],
                         {**_env(), "MERCHANT_DATABASE_URL": f"sqlite:///{tmp_path / 'merchant.sqlite3'}"},
                         tmp_path, stack)
        assert merchant["probe_url"] == f"{merchant_url}/probe"
        suite = subprocess.run(
            [sys.executable, "-m", "pytest", "steps", "-q", "-p", "no:cacheprovider", "-rfEs", "-m", "invoices_5",
             f"--basetemp={tmp_path / 'suite'}"], cwd=ROOT, env={**_env(), "CERTIFY_ENV_FILE": str(env_file)},
            capture_output=True, text=True, timeout=SUITE_SECONDS)
        # The run went through these two processes: the emulator's invoices were notified to this merchant.
        sent = requests.get(f"{emulator['control_url']}/deliveries", timeout=10).json()["data"]
    created = [d for d in sent if d["type"] == "Invoice" and d["event"] == "created"]
    assert len(created) >= 3 and all(a["status_code"] == 200 for d in created for a in d["attempts"]), created
    output = suite.stdout + suite.stderr
    assert suite.returncode == 0, output[-5000:]
    summary = output.strip().splitlines()[-1]
    passed = re.search(r"(\d+) passed", summary)
    assert passed and int(passed.group(1)) >= 1 and "failed" not in summary and "error" not in summary, summary
