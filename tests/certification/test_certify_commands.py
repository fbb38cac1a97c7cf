"""scripts/certify.sh as a pytest user drives it (issue 24, points 1 and 2): --lf re-runs the last run's failures
(pytest's cache), as the failing run says, and is a subset, never a certification; listing (--collect-only,
--fixtures, --markers), --help, a configuration error or a selection of nothing leave reports/ byte for byte."""
from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from checklists import PRODUCTS
from support.targets.settings import SUITE_PREFIXES
from tests.certification.harness import ROOT, certify_checkout

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not (ROOT / ".tools" / "node_modules" / ".bin" / "allure").exists(),
                                 reason="Allure tools not installed (scripts/install_tools.sh): certify.sh cannot run")]

PREVIOUS = {"go-live-evidence.html": "<p>the previous run's verdict</p>", "go-live-summary.md": "previous",
            "go-live-summary.json": '{"overall": "not ready"}', "go-live-manifest.json": "{}",
            "junit.xml": "<testsuites/>", "allure-results/1-result.json": "{}"}
LINE = re.compile(r"^\[\s*(\d+)/(\d+)\s+(?:~\S+ left|done)\] (PASS|FAIL)  ", re.MULTILINE)


def certify(checkout: Path, *args: str, env_file: Path | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith((*SUITE_PREFIXES, "PYTEST_"))}
    env["CERTIFY_ENV_FILE"] = str(env_file) if env_file else os.devnull
    return subprocess.run(["bash", str(checkout / "scripts" / "certify.sh"), *args], cwd=checkout, env=env,
                          capture_output=True, text=True, timeout=300)


def files_of(folder: Path) -> dict[str, bytes]:
    """Every file under the folder, by relative path, with its bytes; and every folder, empty or not."""
    return {str(p.relative_to(folder)): p.read_bytes() if p.is_file() else b"<dir>" for p in sorted(folder.rglob("*"))}


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return certify_checkout(tmp_path_factory.mktemp("checkout"), PREVIOUS)


@pytest.mark.parametrize(("args", "code"), [
    (("--collect-only", "-q"), 0),
    (("--co", "-m", "channels"), 0),
    (("--fixtures",), 0),
    (("--markers",), 0),
    (("--ff", "--collect-only", "-q"), 0),
    (("--help",), 0),
    (("-m", "invoices and"), 4),                      # pytest's own usage error, found while collecting
    (("-k", "no_scenario_is_called_this"), 5),        # nothing selected: nothing ran
    (("--no-such-option",), 4),
], ids=["collect-only", "co-subset", "fixtures", "markers", "ff-collect", "help", "bad-marker-expression",
        "nothing-selected", "unknown-option"])
def test_what_runs_no_scenario_leaves_reports_byte_for_byte(checkout: Path, args: tuple[str, ...], code: int) -> None:
    before = files_of(checkout / "reports")
    done = certify(checkout, *args)
    assert done.returncode == code, (done.stdout + done.stderr)[-3000:]
    assert files_of(checkout / "reports") == before, (done.stdout + done.stderr)[-3000:]


def test_a_configuration_error_leaves_reports_byte_for_byte(checkout: Path, tmp_path: Path) -> None:
    env_file = tmp_path / "broken.env"
    env_file.write_text("PAYER=nobody\nWAIT_TIMEOUT_SECONDS=soon\n", encoding="utf-8")
    before = files_of(checkout / "reports")
    done = certify(checkout, env_file=env_file)
    assert done.returncode == 4 and "PAYER" in done.stderr + done.stdout, (done.stdout + done.stderr)[-3000:]
    assert files_of(checkout / "reports") == before


def test_the_help_says_how_to_rerun_the_failures() -> None:
    usage = subprocess.run(["bash", str(ROOT / "scripts" / "certify.sh"), "--help"], capture_output=True, text=True,
                           timeout=30).stdout
    assert "--lf" in usage and "--ff" in usage and "never a certification" in usage, usage
    assert "--collect-only" in usage and "reports/ is left as it was" in usage, usage


def first_total(checkout: Path) -> int:
    """How many scenarios the features hold, as pytest lists them."""
    listed = certify(checkout, "--collect-only", "-q")
    return int(re.search(r"(\d+) tests collected", listed.stdout).group(1))


def test_lf_after_a_failing_run_reruns_only_its_failures_and_is_no_certification(tmp_path: Path) -> None:
    (tmp_path / "repo").mkdir()
    checkout = certify_checkout(tmp_path / "repo", {})
    incomplete = tmp_path / "incomplete-signoff.yml"  # one team of four: both sign-off scenarios fail
    incomplete.write_text("acknowledgements:\n  - team: Support\n    name: Ada\n    date: 2026-01-05\n"
                          "    acknowledged: Held deposits are explained to customers as pending review.\n",
                          encoding="utf-8")
    failing = tmp_path / "failing.env"
    failing.write_text(f"GO_LIVE_SIGNOFF_FILE={incomplete}\n", encoding="utf-8")
    first = certify(checkout, "-k", "signed or paid_in_full", env_file=failing)
    assert first.returncode == 1, (first.stdout + first.stderr)[-3000:]
    ran_first = LINE.findall(first.stdout)
    assert len(ran_first) == 8 and sum(word == "FAIL" for *_, word in ran_first) == 2, first.stdout
    assert "re-run the 2 failures: bash scripts/certify.sh --lf" in first.stdout, first.stdout[-2000:]

    fixed = tmp_path / "fixed.env"  # the shipped sign-off: accepted for the embedded reference merchant
    fixed.write_text("GO_LIVE_SIGNOFF_FILE=signoff.yml\n", encoding="utf-8")
    again = certify(checkout, "--lf", env_file=fixed)
    ran = LINE.findall(again.stdout)
    assert [(n, total, word) for n, total, word in ran] == [("1", "2", "PASS"), ("2", "2", "PASS")], again.stdout
    assert "re-run" not in again.stdout
    # A subset: PARTIAL, never the rehearsal's pass (11) nor READY (0), and the evidence says what chose it.
    assert again.returncode == 10, (again.stdout + again.stderr)[-3000:]
    summary = json.loads((checkout / "reports" / "go-live-summary.json").read_text(encoding="utf-8"))
    assert summary["overall"] == "partial" and "--lf" in summary["run"]["selection"], summary["run"]
    assert summary["headline"].startswith("Subset run (--lf (the last run's failures)), not a certification.")
    # Every scenario is still in the evidence, the others as not run (deselected by --lf), never vanished.
    assert summary["scenarios_total"] == first_total(checkout) and all(item["scenarios"] for item in summary["items"])
    assert {p["product"]: p["verdict"] for p in summary["products"]} == dict.fromkeys(PRODUCTS, "partial")
    junit = (checkout / "reports" / "junit.xml").read_text(encoding="utf-8")
    assert junit.count("<testcase ") == 2, junit
