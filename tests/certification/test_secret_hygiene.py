"""After a full certification run with known secrets, no secret value and no credential appears in its output."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from support.drivers.waiting import wait_until
from tests.broken_merchants import VARIANTS
from tests.certification.harness import ROOT, SUITE_KEYS, certification_stack, run_features

CREDENTIAL = re.compile(r"(HMAC\s+[^\s\"']+:[A-Za-z0-9+/=]{8,}|Bearer\s+(?!\*\*\*)[A-Za-z0-9_\-]{8,})")


@pytest.mark.slow
def test_no_secret_reaches_the_allure_results_or_the_output(tmp_path: Path) -> None:
    results = tmp_path / "allure-results"
    with certification_stack(tmp_path) as stack:
        # Every scenario of the three checklists, serially: more than the default four minutes on a busy machine.
        verdicts = run_features(stack, tmp_path, f"--alluredir={results}", timeout=900)
        secret_values = stack.secret_values
    assert verdicts.returncode == 0, verdicts.output[-3000:]
    files = [p for p in results.rglob("*") if p.is_file()]
    assert len(files) > 30, "the run should have produced results and attachments to scan"
    hits = []
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        hits += [f"{path.name}: secret #{i}" for i, secret in enumerate(secret_values) if secret in text]
        hits += [f"{path.name}: credential pattern" for _ in CREDENTIAL.finditer(text)]
    hits += [f"console: secret #{i}" for i, secret in enumerate(secret_values) if secret in verdicts.output]
    assert not hits, f"secrets leaked into: {hits[:20]}"


@pytest.mark.slow
def test_a_secret_in_a_failure_is_redacted_from_the_terminal_showlocals_included(tmp_path: Path) -> None:
    # A probe token that this run's terminal is sure to print ("1 failed, 33 deselected"): whatever line, frame
    # or message carries a secret, the terminal must show it redacted. --showlocals prints every frame's
    # variables too.
    token = "deselected"
    with certification_stack(tmp_path, VARIANTS["credits_on_resend"], probe_token=token) as stack:
        verdicts = run_features(stack, tmp_path, "-k", "sends_the_completed_notification_again", "--showlocals",
                                "--tb=long")
    assert verdicts.returncode == 1 and "***redacted***" in verdicts.output, verdicts.output[-3000:]
    assert token not in verdicts.output


@pytest.mark.slow
def test_evidence_holding_a_secret_is_deleted_with_its_results(tmp_path: Path) -> None:
    # A probe token that is also an everyday word of the evidence: the scan must find it and discard everything.
    reports = tmp_path / "reports"
    with certification_stack(tmp_path, probe_token="completed") as stack:
        verdicts = run_features(stack, tmp_path, "-k", "paid_in_full", f"--alluredir={tmp_path / 'fresh'}",
                                f"--go-live-evidence={reports}")
    assert verdicts.returncode == 3, verdicts.output[-3000:]
    assert "secret scan failed: the evidence and its results were deleted" in verdicts.output
    assert not (reports / "allure-results").exists() and not (reports / "go-live-evidence.html").exists()
    assert not (reports / "go-live-summary.json").exists() and not (tmp_path / "fresh").exists()


@pytest.mark.slow
def test_a_killed_run_stops_its_workers_and_leaves_no_secret_on_disk(tmp_path: Path) -> None:
    reports, scratch = tmp_path / "reports", tmp_path / "tmp"
    scratch.mkdir()
    with certification_stack(tmp_path) as stack:
        env = {k: v for k, v in os.environ.items() if not k.startswith(SUITE_KEYS)}
        env.update(stack.env, CERTIFY_ENV_FILE=os.devnull, WAIT_TIMEOUT_SECONDS="8", TMPDIR=str(scratch),
                   PAYER="coin_withdrawal")
        del env["EMULATOR_CONTROL_URL"]  # as on the sandbox: the expiry scenario waits in real time, still running
        run = subprocess.Popen([sys.executable, "-m", "pytest", "steps", "-p", "no:cacheprovider", "-n", "2",
                                f"--alluredir={tmp_path / 'fresh'}", f"--go-live-evidence={reports}",
                                "-k", "paid_in_full or underpaid_once_it_expires"], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        wait_until(lambda: list((tmp_path / "fresh").glob("*-result.json")), bool, timeout=60,
                   expected="a first scenario result, so the run is under way when it is killed")
        run.send_signal(signal.SIGTERM)
        output, _ = run.communicate(timeout=120)
        secret_values = stack.secret_values
    assert run.returncode != 0, output[-2000:]
    assert "go-live verdict" in output and "PARTIAL" in output, output[-3000:]  # evidence of what ran
    stray = subprocess.run(["pgrep", "-f", f"go-live-evidence={reports}"], capture_output=True, text=True).stdout
    assert not stray.strip(), f"pytest processes left running: {stray}"
    files = [p for p in [*tmp_path.rglob("*")] if p.is_file() and not p.name.endswith(".sqlite3")]
    leaked = [str(p) for p in files for s in secret_values if s.encode() in p.read_bytes()]
    assert not leaked, leaked
