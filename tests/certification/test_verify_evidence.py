"""certify.sh --verify and --merge on the real-sandbox path: the suite runs against a standalone emulator without its
control API, posing as the Cryptopay sandbox (reporting.run_info.SANDBOX_URL set to its URL in this process only),
and a reviewer re-checks the evidence against it with the account's key. Then Cryptopay is made to show what it
might days later (an object gone, one in another status, one older than the run) through the emulator's control
API, which the run never had, and a file of the evidence is edited: each is named, and nothing is merged."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest
import requests

from cryptopay_emulator.account import PROJECT_ID
from cryptopay_emulator.withdrawals import QUICK_STEP_SECONDS
from reporting import run_info
from reporting.__main__ import main
from reporting.allure import ALLURE_BIN
from reporting.cryptopay_objects import ATTACHMENT
from tests.certification.harness import ROOT, Stack, certification_stack, run_features

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not ALLURE_BIN.exists(),
                       reason="Allure 3 is not installed in .tools/ (scripts/install_tools.sh)"),
]

# Invoices of three currencies (left `new`), a channel, a payment to it and the coin withdrawal that paid it.
SELECTION = "invoices_5 or channels_2"
BUILD = "shop-verify-1"


@dataclass(frozen=True)
class SandboxRun:
    stack: Stack
    reports: Path
    rehearsal: Path

    @property
    def control(self) -> str:
        return self.stack.env["EMULATOR_CONTROL_URL"]  # the test's alone: the run was never given it

    def summary(self) -> dict:
        return json.loads((self.reports / "go-live-summary.json").read_text(encoding="utf-8"))

    def objects(self, kind: str) -> list[dict]:
        return [o for e in self.summary()["cryptopay_objects"] for o in e["objects"] if o["kind"] == kind]


@pytest.fixture(scope="module")
def sandbox_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxRun]:
    work = tmp_path_factory.mktemp("posing-sandbox")
    with certification_stack(work, driven_time=False, withdrawal_step_seconds=QUICK_STEP_SECONDS) as stack:
        run_env = {key: value for key, value in stack.env.items() if key != "EMULATOR_CONTROL_URL"}
        run_env.update(PAYER="coin_withdrawal", MERCHANT_BUILD=BUILD)
        done = run_features(Stack(run_env, stack.secret_values), work, "-m", SELECTION,
                            f"--alluredir={work / 'fresh'}", f"--go-live-evidence={work / 'reports'}")
        assert done.returncode == 10 and not done.failed, done.output[-3000:]  # a subset: PARTIAL, exit 10
        rehearsal = tmp_path_factory.mktemp("rehearsal")
        embedded = run_features(Stack({"MERCHANT_BUILD": BUILD}, []), rehearsal, "-m", SELECTION,
                                f"--alluredir={rehearsal / 'fresh'}", f"--go-live-evidence={rehearsal / 'reports'}")
        assert embedded.returncode == 10, embedded.output[-3000:]
        yield SandboxRun(stack, work / "reports", rehearsal / "reports")


@pytest.fixture
def reviewer(sandbox_run: SandboxRun, monkeypatch: pytest.MonkeyPatch) -> SandboxRun:
    """The reviewer's side: the emulator stands for the sandbox, and .env holds a key of its account."""
    monkeypatch.setattr(run_info, "SANDBOX_URL", sandbox_run.stack.env["CRYPTOPAY_API_URL"])
    monkeypatch.setenv("CERTIFY_ENV_FILE", "/dev/null")
    for key in ("CRYPTOPAY_API_URL", "CRYPTOPAY_API_KEY", "CRYPTOPAY_API_SECRET"):
        monkeypatch.setenv(key, sandbox_run.stack.env[key])
    return sandbox_run


def test_the_evidence_names_the_account_the_run_and_every_object_behind_each_scenario(
        sandbox_run: SandboxRun) -> None:
    summary = sandbox_run.summary()
    who = summary["identity"]
    assert who["cryptopay_account_id"] == PROJECT_ID and who["api_key_id"] == sandbox_run.stack.env["CRYPTOPAY_API_KEY"]
    assert who["api_host"] == sandbox_run.stack.env["CRYPTOPAY_API_URL"].removeprefix("http://")
    assert who["merchant_build"] == BUILD and who["suite_version"] not in ("", None)
    assert who["started_at"] <= who["finished_at"] and who["cryptopay_started_at"] and who["cryptopay_finished_at"]
    kinds = {o["kind"] for e in summary["cryptopay_objects"] for o in e["objects"]}
    assert kinds == {"invoice", "channel", "channel_payment", "coin_withdrawal"}, kinds
    assert len(sandbox_run.objects("invoice")) == 3
    markdown = (sandbox_run.reports / "go-live-summary.md").read_text(encoding="utf-8")
    assert PROJECT_ID in markdown and "## Cryptopay objects behind each scenario" in markdown
    assert all(o["id"] in markdown for e in summary["cryptopay_objects"] for o in e["objects"])
    # Under the scenario in the report: the same list, attached to each scenario's result.
    attached = [a for path in (sandbox_run.reports / "allure-results").glob("*-result.json")
                for a in json.loads(path.read_text()).get("attachments", []) if a["name"] == ATTACHMENT]
    assert len(attached) == len(summary["cryptopay_objects"]) == 2


def test_verify_names_each_object_cryptopay_no_longer_shows_as_claimed_and_merge_refuses(
        reviewer: SandboxRun, capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    code = main(["verify", str(reviewer.reports)])
    clean = capsys.readouterr().out
    assert "VERIFIED: every file matches the manifest" in clean and code == 10, clean  # verified; its verdict: PARTIAL
    assert f"account: {PROJECT_ID}" in clean
    # Merged with the rehearsal, the sandbox's objects are checked again; the rehearsal's lie on an emulator.
    merged = tmp_path / "merged-clean"
    assert main(["merge", str(reviewer.reports), str(reviewer.rehearsal), "--output", str(merged)]) == 10
    summary = json.loads((merged / "go-live-summary.json").read_text())
    assert summary["identity"]["cryptopay_account_id"] == PROJECT_ID
    capsys.readouterr()
    assert main(["verify", str(merged)]) == 10
    assert "VERIFIED" in capsys.readouterr().out

    gone, older = reviewer.objects("invoice")[:2]
    changed = reviewer.objects("channel_payment")[0]
    assert changed["status"] == "completed"  # final: it can never be refunded since
    for method, object_id, body in (("DELETE", gone["id"], None), ("PATCH", changed["id"], {"status": "refunded"}),
                                    ("PATCH", older["id"], {"created_at": "2020-01-01T00:00:00+00:00"})):
        assert requests.request(method, f"{reviewer.control}/objects/{object_id}", json=body, timeout=10).ok

    code = main(["verify", str(reviewer.reports)])
    printed = capsys.readouterr().out
    assert code == 12 and "NOT VERIFIED" in printed, printed
    problems = [line for line in printed.splitlines() if line.startswith("  - ")]
    assert any(gone["id"] in p and "not found in this Cryptopay account" in p for p in problems), problems
    assert any(changed["id"] in p and "status completed in the evidence, refunded at Cryptopay" in p
               for p in problems), problems
    assert any(older["id"] in p and "outside the run's window" in p for p in problems), problems
    assert not any(o["id"] in p for p in problems for o in reviewer.objects("channel")), problems

    # --merge runs the same checks on the sandbox run it is given: nothing is merged.
    code = main(["merge", str(reviewer.reports), str(reviewer.rehearsal), "--output", str(tmp_path / "merged")])
    refused = capsys.readouterr().err
    assert code == 12 and gone["id"] in refused and changed["id"] in refused and older["id"] in refused, refused
    assert not (tmp_path / "merged" / "go-live-summary.json").exists()


@pytest.mark.parametrize("edited", ["allure-results/run-info.json", "go-live-summary.json"])
def test_an_edited_evidence_file_is_named_by_verify_and_refused_by_merge(
        reviewer: SandboxRun, capsys: pytest.CaptureFixture, tmp_path: Path, edited: str) -> None:
    copy = tmp_path / "reports"
    shutil.copytree(reviewer.reports, copy)
    path = copy / edited
    data = json.loads(path.read_text(encoding="utf-8"))
    if edited.endswith("run-info.json"):
        data["merchant_build"] = "shop-verify-2"
    else:
        data["overall"] = "ready"
    path.write_text(json.dumps(data), encoding="utf-8")

    assert main(["verify", str(copy)]) == 12
    assert f"{edited} changed since the run" in capsys.readouterr().out
    assert main(["merge", str(copy), str(reviewer.rehearsal), "--output", str(tmp_path / "merged")]) == 12
    refused = capsys.readouterr().err
    assert f"{edited} changed since the run" in refused and not (tmp_path / "merged" / "go-live-summary.json").exists()


def test_a_rehearsal_has_nothing_at_cryptopay_to_check(sandbox_run: SandboxRun) -> None:
    done = subprocess.run(["bash", "scripts/certify.sh", "--verify", str(sandbox_run.rehearsal)], cwd=ROOT,
                          env={**os.environ, "CERTIFY_ENV_FILE": os.devnull}, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 13, done.stdout + done.stderr
    assert "a rehearsal: nothing at Cryptopay to check (the run talked to embedded emulator)" in done.stdout
