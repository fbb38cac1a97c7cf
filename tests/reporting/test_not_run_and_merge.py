"""Scenarios that never ran stay in the evidence, and a sandbox run merges with an emulator rehearsal."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from reporting.__main__ import EXIT_MERGE_REFUSED, main
from reporting.integrity import write_digest_manifest
from reporting.merge import MergeError, merge_runs
from reporting.results import fill_not_run, load_scenarios
from reporting.run_info import SANDBOX_URL, write_run_info
from reporting.summary import build_summary
from reporting.manifest import write_manifest
from tests.reporting.results_factory import write_result

ALL_BUT_14 = [n for n in range(1, 15) if n != 14]
# Where each hand-made run talked to: what decides its role in a merge (a label in its file would not).
TARGETS = {"sandbox": {"cryptopay_api_url": SANDBOX_URL},
           "standalone emulator": {"cryptopay_api_url": "http://127.0.0.1:8080"},
           "embedded emulator": {"cryptopay_target": "embedded emulator"}}


def _entry(name: str, items: list[int], *, emulator_only: bool = False, reason: str | None = None) -> dict:
    tags = ["invoices", *(f"invoices_{n}" for n in items), *(["emulator_only"] if emulator_only else [])]
    entry = {"nodeid": f"steps/test_features.py::{name}", "name": name, "fullName": f"x.feature:{name}",
             "historyId": f"history-{name}", "testCaseId": name, "feature": "A feature", "parameters": [],
             "tags": tags, "items": [f"invoices {n}" for n in items], "steps": [{"type": "then", "keyword": "Then", "text": "it holds"}]}
    return {**entry, "not_run_reason": reason} if reason else entry


def test_a_collected_scenario_without_a_result_is_listed_with_its_reason(tmp_path: Path) -> None:
    write_result(tmp_path, "covers the rest", "passed", ALL_BUT_14)
    write_manifest(tmp_path, [_entry("covers the rest", ALL_BUT_14),
                              _entry("held payment", [14], emulator_only=True, reason="needs control"),
                              _entry("signed off", [14])], "file or node selection")
    assert fill_not_run(tmp_path) == 2
    assert fill_not_run(tmp_path) == 0  # idempotent: the written results now count as results
    summary = build_summary(load_scenarios(tmp_path), TARGETS["sandbox"])
    rows = {row["name"]: row for row in summary["items"][13]["scenarios"]}
    assert rows["held payment"]["skip_reason"] == "needs control"
    assert "run stopped before this scenario" in rows["signed off"]["skip_reason"]
    assert summary["items"][13]["verdict"] == "not run" and summary["overall"] == "partial"


def _run(root: Path, target: str, results: list[tuple[str, str, list[int], bool]], build: str | None = "b1",
         control: bool = False) -> Path:
    directory = root / target.replace(" ", "-") / "allure-results"
    entries = []
    for name, status, items, emulator_only in results:
        write_result(directory, name, status, items, extra_tags=("emulator_only",) if emulator_only else ())
        entries.append(_entry(name, items, emulator_only=emulator_only))
    write_manifest(directory, entries, "file or node selection")
    write_run_info(directory, {**TARGETS[target], "merchant_build": build, "emulator_control": control})
    write_digest_manifest(directory.parent, directory, [])  # its files as the run left them
    return directory.parent


def _merged_summary(tmp_path: Path, sandbox: Path, rehearsal: Path) -> dict:
    merged = tmp_path / "merged"
    info = merge_runs(sandbox, rehearsal, merged)
    return build_summary(load_scenarios(merged), info)


SANDBOX_RUN = [("paid in full", "passed", ALL_BUT_14, False), ("held payment", "skipped", [14], True),
               ("signed off", "passed", [14], False)]
REHEARSAL_RUN = [("paid in full", "passed", ALL_BUT_14, False), ("held payment", "passed", [14], True),
                 ("signed off", "passed", [14], False)]


def test_a_sandbox_run_and_a_rehearsal_of_the_same_build_make_one_ready_verdict(tmp_path: Path) -> None:
    summary = _merged_summary(tmp_path, _run(tmp_path, "sandbox", SANDBOX_RUN),
                              _run(tmp_path, "standalone emulator", REHEARSAL_RUN, control=True))
    assert summary["overall"] == "ready" and summary["certification"]
    assert summary["headline"].startswith(
        "READY for invoices on the Cryptopay sandbox (emulator-only scenarios rehearsed")
    where = {row["name"]: row["proven_on"] for row in summary["items"][13]["scenarios"]}
    assert where == {"held payment": "the emulator rehearsal", "signed off": "the Cryptopay sandbox"}


def test_what_the_sandbox_can_drive_must_pass_on_the_sandbox(tmp_path: Path) -> None:
    sandbox = [("paid in full", "failed", ALL_BUT_14, False), *SANDBOX_RUN[1:]]
    summary = _merged_summary(tmp_path, _run(tmp_path, "sandbox", sandbox),
                              _run(tmp_path, "embedded emulator", REHEARSAL_RUN, control=True))
    assert summary["overall"] == "not ready"  # the rehearsal's pass does not stand in for the sandbox


def test_a_scenario_not_passed_in_either_run_keeps_the_merge_from_ready(tmp_path: Path) -> None:
    rehearsal = [REHEARSAL_RUN[0], ("held payment", "skipped", [14], True), REHEARSAL_RUN[2]]
    summary = _merged_summary(tmp_path, _run(tmp_path, "sandbox", SANDBOX_RUN),
                              _run(tmp_path, "embedded emulator", rehearsal, control=True))
    assert summary["overall"] == "partial"


@pytest.mark.parametrize("builds, words", [(("b1", "b2"), "different merchant builds"),
                                          ((None, "b1"), "must name the merchant build")])
def test_runs_of_different_or_unnamed_builds_are_not_merged(tmp_path: Path, builds, words) -> None:
    sandbox = _run(tmp_path, "sandbox", SANDBOX_RUN, build=builds[0])
    rehearsal = _run(tmp_path, "standalone emulator", REHEARSAL_RUN, build=builds[1], control=True)
    with pytest.raises(MergeError, match=words):
        merge_runs(sandbox, rehearsal, tmp_path / "merged")


def test_two_emulator_runs_are_not_a_certification(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    first = _run(tmp_path, "standalone emulator", REHEARSAL_RUN, control=True)
    second = _run(tmp_path, "embedded emulator", REHEARSAL_RUN, control=True)
    assert main(["merge", str(first), str(second), "--output", str(tmp_path / "out")]) == EXIT_MERGE_REFUSED
    assert "one run on the Cryptopay sandbox" in capsys.readouterr().err
    assert not (tmp_path / "out" / "go-live-summary.json").exists()


def test_the_summary_command_fills_what_did_not_run(tmp_path: Path) -> None:
    run = _run(tmp_path, "standalone emulator", SANDBOX_RUN[:1])
    write_manifest(run / "allure-results", [_entry("paid in full", ALL_BUT_14), _entry("held payment", [14])], "x")
    assert main(["summary", "--results", str(run / "allure-results"), "--output", str(tmp_path / "out")]) == 0
    summary = json.loads((tmp_path / "out" / "go-live-summary.json").read_text())
    assert summary["scenarios_not_run"] == 1 and summary["headline"].startswith(
        "PARTIAL for invoices on a standalone emulator")


def test_merging_never_writes_into_the_runs_it_reads(tmp_path: Path) -> None:
    sandbox = _run(tmp_path, "sandbox", SANDBOX_RUN[:1])
    write_manifest(sandbox / "allure-results", [_entry("paid in full", ALL_BUT_14), _entry("signed off", [14])], "x")
    rehearsal = _run(tmp_path, "embedded emulator", REHEARSAL_RUN, control=True)
    before = {p: sorted(q.name for q in (p / "allure-results").iterdir()) for p in (sandbox, rehearsal)}
    summary = _merged_summary(tmp_path, sandbox, rehearsal)
    assert {p: sorted(q.name for q in (p / "allure-results").iterdir()) for p in (sandbox, rehearsal)} == before
    rows = {row["name"]: row for row in summary["items"][13]["scenarios"]}
    assert rows["signed off"]["status"] == "skipped" and summary["overall"] == "partial"


@pytest.mark.parametrize("source", ["../../outside-attachment.txt", "/tmp/{root}/absolute-attachment.txt"])
def test_a_result_naming_an_attachment_outside_its_run_copies_nothing_from_or_to_outside(
        tmp_path: Path, source: str) -> None:
    """A run's result files are the merchant's: an attachment path must not reach out of either folder."""
    sandbox = _run(tmp_path, "sandbox", SANDBOX_RUN)
    rehearsal = _run(tmp_path, "standalone emulator", REHEARSAL_RUN, control=True)
    source = source.format(root=tmp_path.relative_to("/tmp")) if source.startswith("/tmp") else source
    outside = (sandbox / "allure-results" / source).resolve() if not source.startswith("/") else Path(source)
    outside.parent.mkdir(parents=True, exist_ok=True)
    outside.write_text("a file outside the run", encoding="utf-8")
    result = next((sandbox / "allure-results").glob("*-result.json"))
    data = json.loads(result.read_text())
    result.write_text(json.dumps({**data, "attachments": [{"name": "x", "source": source}]}), encoding="utf-8")
    merged = tmp_path / "merged"
    merge_runs(sandbox, rehearsal, merged)
    assert not (merged / outside.name).exists()
    assert outside.read_text() == "a file outside the run"
    assert all(path.resolve().parent == merged.resolve() for path in merged.rglob("*"))
