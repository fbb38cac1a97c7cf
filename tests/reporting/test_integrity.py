"""The evidence's manifest: every file changed, missing or added since the run is named; a hostile manifest cannot
make the check read anything outside the evidence folder."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from reporting.integrity import MANIFEST_NAME, check_digest_manifest, digest, write_digest_manifest

NAMES = ["go-live-evidence.html", "go-live-summary.json", "go-live-summary.md"]


def _evidence(root: Path) -> Path:
    for name in NAMES:
        (root / name).write_text(f"{name} as the run wrote it", encoding="utf-8")
    results = root / "allure-results"
    results.mkdir()
    (results / "run-info.json").write_text('{"merchant_build": "shop-1"}', encoding="utf-8")
    (results / "a-result.json").write_text('{"status": "passed"}', encoding="utf-8")
    write_digest_manifest(root, results, NAMES)
    return root


def test_an_untouched_evidence_folder_checks_out(tmp_path: Path) -> None:
    found = check_digest_manifest(_evidence(tmp_path))
    assert found.problems == [] and found.checked == 5 and found.results_dir == tmp_path / "allure-results"
    listed = json.loads((tmp_path / MANIFEST_NAME).read_text())["files"]
    assert listed["go-live-summary.json"] == digest(tmp_path / "go-live-summary.json")


def test_each_file_changed_missing_or_added_is_named(tmp_path: Path) -> None:
    root = _evidence(tmp_path)
    (root / "allure-results" / "run-info.json").write_text('{"merchant_build": "shop-2"}', encoding="utf-8")
    (root / "go-live-summary.md").unlink()
    (root / "allure-results" / "b-result.json").write_text('{"status": "passed"}', encoding="utf-8")
    problems = check_digest_manifest(root).problems
    assert len(problems) == 3, problems
    assert problems[0].startswith("allure-results/run-info.json changed since the run (SHA-256 ")
    assert "go-live-summary.md is missing (the run wrote it)" in problems
    assert "allure-results/b-result.json was added since the run" in problems


def test_a_file_swapped_for_a_link_is_not_followed(tmp_path: Path) -> None:
    root = _evidence(tmp_path)
    target = root / "allure-results" / "a-result.json"
    (tmp_path / "elsewhere.json").write_text(target.read_text(), encoding="utf-8")
    target.unlink()
    os.symlink(tmp_path / "elsewhere.json", target)
    assert check_digest_manifest(root).problems == ["allure-results/a-result.json is not a plain file"]


def test_without_a_manifest_nothing_is_proven(tmp_path: Path) -> None:
    root = _evidence(tmp_path)
    (root / MANIFEST_NAME).unlink()
    assert check_digest_manifest(root).problems[0].startswith(f"{MANIFEST_NAME} is missing")


@pytest.mark.parametrize("name", ["../outside.txt", "/etc/passwd", "allure-results/../../outside.txt",
                                  "C:\\evil", "allure-results\\x"])
def test_a_manifest_naming_files_outside_the_evidence_is_refused_unread(tmp_path: Path, name: str) -> None:
    root = tmp_path / "reports"
    root.mkdir()
    (root / MANIFEST_NAME).write_text(json.dumps({"results": None, "files": {name: "0" * 64}}), encoding="utf-8")
    found = check_digest_manifest(root)
    assert found.problems == [f"{MANIFEST_NAME} is not a manifest of files inside the evidence folder"]
    assert found.checked == 0


def test_results_outside_the_evidence_folder_are_not_part_of_it(tmp_path: Path) -> None:
    root = tmp_path / "reports"
    root.mkdir()
    (tmp_path / "results").mkdir()
    write_digest_manifest(root, tmp_path / "results", [])
    assert check_digest_manifest(root).problems == [
        "the run's results are not inside the evidence folder: keep reports/ whole"]
