"""The attack of issue 20: a no-control emulator run copied, its run-info.json edited to name the sandbox, merged
with a rehearsal. It must never come out READY."""
from __future__ import annotations

import json
from contextlib import ExitStack
from pathlib import Path

import pytest

from reporting import run_info
from reporting.__main__ import main
from reporting.allure import ALLURE_BIN
from reporting.build import EVIDENCE_NAME, build
from reporting.integrity import write_digest_manifest
from reporting.run_info import write_run_info
from reporting.summary import JSON_NAME, MARKDOWN_NAME
from support.targets.pair import Credentials, start_emulator
from tests.reporting.results_factory import write_result

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not ALLURE_BIN.exists(),
                       reason="Allure 3 is not installed in .tools/ (scripts/install_tools.sh)"),
]

ALL_BUT_14 = [n for n in range(1, 15) if n != 14]
EMULATOR = "http://127.0.0.1:8080"


def _emulator_run(root: Path, name: str, *, control: bool) -> Path:
    """A run's reports/ as certify.sh leaves it: every invoices item passed on a standalone emulator."""
    reports = root / name / "reports"
    results = reports / "allure-results"  # where certify.sh leaves them, before the evidence is built
    write_result(results, "paid in full", "passed", ALL_BUT_14)
    write_result(results, "held payment", "passed" if control else "skipped", [14], extra_tags=("emulator_only",))
    write_result(results, "signed off", "passed", [14])
    write_run_info(results, {"target_class": "standalone emulator", "cryptopay_api_url": EMULATOR,
                             "cryptopay_target": f"standalone emulator ({EMULATOR})", "emulator_control": control,
                             "merchant_build": "shop-1.0", "products": ["invoices"], "not_integrated": {}})
    build(results, reports)
    return reports


def test_an_emulator_run_relabelled_as_the_sandbox_is_refused_by_merge(
        tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CERTIFY_ENV_FILE", "/dev/null")  # the reviewer's settings: none needed to refuse this
    forged = _emulator_run(tmp_path, "no-control", control=False)
    rehearsal = _emulator_run(tmp_path, "rehearsal", control=True)
    info_path = forged / "allure-results" / "run-info.json"
    info = json.loads(info_path.read_text(encoding="utf-8"))
    sandbox = "https://business-sandbox.cryptopay.me"
    info.update(target_class="sandbox", cryptopay_api_url=sandbox, cryptopay_target=f"Cryptopay sandbox ({sandbox})")
    info_path.write_text(json.dumps(info), encoding="utf-8")

    code = main(["merge", str(forged), str(rehearsal), "--output", str(tmp_path / "merged")])

    printed = capsys.readouterr()
    assert code != 0, printed.out
    assert "READY for" not in printed.out
    assert "allure-results/run-info.json" in printed.err and "changed since the run" in printed.err
    merged = tmp_path / "merged" / "go-live-summary.json"
    assert not merged.exists() or json.loads(merged.read_text())["overall"] != "ready"


def test_a_relabelled_run_with_its_manifest_rewritten_is_still_refused_at_cryptopay(
        tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    """The manifest proves nothing against a forger who writes a new one: Cryptopay itself is asked (a loopback
    emulator posing as the sandbox here, with the reviewer's key in the environment)."""
    forged = _emulator_run(tmp_path, "no-control", control=False)
    rehearsal = _emulator_run(tmp_path, "rehearsal", control=True)
    with ExitStack() as stack:
        credentials = Credentials.fresh()
        sandbox = start_emulator(stack, credentials, driven_time=False, rate_limit_per_minute=0)
        monkeypatch.setattr(run_info, "SANDBOX_URL", sandbox.url)
        for key, value in (("CERTIFY_ENV_FILE", "/dev/null"), ("CRYPTOPAY_API_URL", sandbox.url),
                           ("CRYPTOPAY_API_KEY", credentials.api_key),
                           ("CRYPTOPAY_API_SECRET", credentials.api_secret)):
            monkeypatch.setenv(key, value)
        info_path = forged / "allure-results" / "run-info.json"
        info = json.loads(info_path.read_text(encoding="utf-8"))
        info_path.write_text(json.dumps({**info, "cryptopay_api_url": sandbox.url}), encoding="utf-8")
        write_digest_manifest(forged, forged / "allure-results", [EVIDENCE_NAME, JSON_NAME, MARKDOWN_NAME])

        code = main(["merge", str(forged), str(rehearsal), "--output", str(tmp_path / "merged")])

    refused = capsys.readouterr().err
    assert code == 12, refused
    assert "changed since the run" not in refused  # the forger's manifest matches its files
    assert "the evidence names no Cryptopay account" in refused
    assert "lists no Cryptopay object of the sandbox" in refused
    assert not (tmp_path / "merged" / "go-live-summary.json").exists()
