"""Issue 21 point 17: scripts/certify.sh stopped at the worst moment. SIGTERM ends it with a code its usage documents;
SIGKILL leaves nothing half-written in reports/ beside the previous run's evidence."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
from pathlib import Path

import pytest

from support.drivers.waiting import wait_until
from support.targets.settings import SUITE_PREFIXES
from tests.certification.harness import certify_checkout

ROOT = Path(__file__).resolve().parents[2]
PREVIOUS = {"go-live-evidence.html": "<p>the previous run's verdict</p>", "go-live-summary.md": "previous",
            "go-live-summary.json": "{}", "junit.xml": "<testsuites/>"}

pytestmark = pytest.mark.skipif(not (ROOT / ".tools" / "node_modules" / ".bin" / "allure").exists(),
                                reason="Allure tools not installed (scripts/install_tools.sh): certify.sh cannot run")


@pytest.fixture()
def checkout(tmp_path: Path) -> Path:
    """The repository as certify.sh sees it, with a reports/ of its own holding a previous run's evidence."""
    return certify_checkout(tmp_path, PREVIOUS)


def start_certify(checkout: Path) -> tuple[subprocess.Popen, Path]:
    """certify.sh on the embedded default, its output in a file; returns once its first scenario has ended."""
    env = {k: v for k, v in os.environ.items() if not k.startswith((*SUITE_PREFIXES, "PYTEST_"))}
    env["CERTIFY_ENV_FILE"] = os.devnull
    output = checkout / "certify.out"
    with open(output, "wb") as sink:
        run = subprocess.Popen(["bash", str(checkout / "scripts" / "certify.sh")], cwd=checkout, env=env,
                               stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_until(lambda: output.read_text(encoding="utf-8", errors="replace"),
                   lambda text: re.search(r"^\[ *1/\d+ .*\] (PASS|FAIL) ", text, re.MULTILINE) is not None,
                   timeout=180, expected="certify.sh to finish its first scenario", max_interval=0.1)
    except BaseException:
        os.killpg(run.pid, signal.SIGKILL)
        run.wait(timeout=60)
        raise
    return run, output


def documented_exit_codes() -> set[int]:
    usage = subprocess.run(["bash", str(ROOT / "scripts" / "certify.sh"), "--help"], capture_output=True, text=True,
                           timeout=30).stdout
    exits = usage[usage.index("Exit codes"):]
    return {int(code) for code in re.findall(r"^\s+(\d+)\s{2}", exits, re.MULTILINE)}


def test_sigterm_ends_the_run_with_a_documented_code_and_the_evidence_of_what_ran(checkout: Path) -> None:
    run, output = start_certify(checkout)
    os.kill(run.pid, signal.SIGTERM)  # certify.sh execs pytest: this is pytest's own pid
    code = run.wait(timeout=300)
    text = output.read_text(encoding="utf-8", errors="replace")
    assert code in documented_exit_codes(), (code, documented_exit_codes(), text[-2000:])
    summary = json.loads((checkout / "reports" / "go-live-summary.json").read_text(encoding="utf-8"))
    assert summary.get("overall") not in (None, "ready"), "an interrupted run is never READY"


def test_sigkill_leaves_nothing_half_written_beside_the_previous_evidence(checkout: Path) -> None:
    run, _ = start_certify(checkout)
    os.killpg(run.pid, signal.SIGKILL)
    run.wait(timeout=60)
    reports = checkout / "reports"
    assert sorted(p.name for p in reports.iterdir()) == sorted(PREVIOUS), sorted(p.name for p in reports.iterdir())
    assert all((reports / name).read_text(encoding="utf-8") == text for name, text in PREVIOUS.items())
