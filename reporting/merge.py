"""Merges a real-sandbox run and an emulator rehearsal of the same merchant build into one set of results; which run
is which is decided by where each one talked to, and both are checked (files, and the sandbox run at Cryptopay)
before anything is merged."""
from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reporting import run_info as runs
from reporting.integrity import MANIFEST_NAME, check_digest_manifest
from reporting.manifest import MANIFEST
from reporting.results import PROVEN_ON, latest_results, not_run_results
from reporting.run_info import read_run_info, write_run_info
from reporting.verify import (REHEARSAL_PROVEN_ON, CannotCheck, check_at_cryptopay, open_evidence,
                              reviewer_from_env)

SANDBOX, REHEARSAL = "the Cryptopay sandbox", REHEARSAL_PROVEN_ON
EMULATOR_ONLY = "emulator_only"


class MergeError(ValueError):
    """The two runs cannot stand together as one certification; the message says why and what to do."""


@dataclass(frozen=True)
class Run:
    root: Path  # what was given: a copy of reports/ (or, for the merge alone, an Allure results directory)
    results: Path
    info: dict[str, Any]

    @classmethod
    def open(cls, path: Path) -> "Run":
        """A run is a reports/ folder holding its manifest and allure-results/, or its Allure results directory."""
        path = Path(path)
        results = path / "allure-results" if (path / "allure-results").is_dir() else path
        if not (results / "run-info.json").is_file():
            raise MergeError(f"{path} holds no run: expected run-info.json in its allure-results/ (keep a copy of "
                             "the whole reports/ folder after each run)")
        return cls(path, results, read_run_info(results))

    @property
    def target(self) -> str:
        return runs.observed_class(self.info)


def _roles(first: Run, second: Run) -> tuple[Run, Run]:
    """Which run talked to the Cryptopay sandbox and which rehearsed on an emulator with its control API: by the
    API URL each one used, never by a label in its files."""
    sandbox = [run for run in (first, second) if run.target == runs.SANDBOX]
    rehearsal = [run for run in (first, second)
                 if run.target in (runs.STANDALONE, runs.EMBEDDED) and run.info.get("emulator_control")]
    if len(sandbox) != 1 or len(rehearsal) != 1:
        raise MergeError("a merge needs one run on the Cryptopay sandbox and one rehearsal on an emulator with its "
                         "control API; got: " + ", ".join(run.target or "an unrecorded target"
                                                          for run in (first, second)))
    return sandbox[0], rehearsal[0]


def _changed_files(run: Run) -> list[str]:
    if run.root == run.results and not (run.root / MANIFEST_NAME).is_file():
        return [f"{run.root}: a bare results directory; give the run's whole reports/ folder, whose "
                f"{MANIFEST_NAME} proves its files are the ones the run wrote"]
    return [f"{run.root}: {p}" for p in check_digest_manifest(run.root).problems]


def check_runs(first: Path, second: Path, environ: dict[str, str]) -> list[str]:
    """What keeps the two runs from standing as evidence, every problem at once: a file of either changed since
    its run (by its manifest), and the sandbox run's account and objects not as Cryptopay shows them. Raises
    MergeError when they cannot be merged at all, verify.CannotCheck when Cryptopay cannot be read; either is
    only a line among the problems when a changed file refuses the merge already."""
    runs_given = [Run.open(first), Run.open(second)]
    problems = [p for run in runs_given for p in _changed_files(run)]
    try:
        sandbox, rehearsal = _roles(*runs_given)
        _same_build(sandbox, rehearsal)
        found = check_at_cryptopay(open_evidence(sandbox.root), reviewer_from_env(environ)).problems
    except (MergeError, CannotCheck) as exc:
        if not problems:
            raise
        return problems + [f"not merged, not checked at Cryptopay: {exc}"]
    return problems + [f"{sandbox.root}: {p}" for p in found]


def _same_build(sandbox: Run, rehearsal: Run) -> str:
    builds = (sandbox.info.get("merchant_build"), rehearsal.info.get("merchant_build"))
    if not all(builds):
        raise MergeError("both runs must name the merchant build they tested (MERCHANT_BUILD in .env); "
                         f"got {builds[0] or 'none'} on the sandbox and {builds[1] or 'none'} in the rehearsal")
    if builds[0] != builds[1]:
        raise MergeError(f"the runs tested different merchant builds ({builds[0]} on the sandbox, {builds[1]} in "
                         "the rehearsal): run both against the same build")
    return str(builds[0])


def _result_files(results: Path) -> dict[str, tuple[Path, dict[str, Any]]]:
    """historyId -> the latest result file of that scenario, and a not-run result for each collected scenario
    without one: a scenario missing from either run still counts."""
    files = latest_results(results)
    for data in not_run_results(results):  # in memory: the runs being merged are never written to
        files[data["historyId"]] = (results / "not-run", data)
    return files


def _is_emulator_only(data: dict[str, Any]) -> bool:
    return any(label.get("name") == "tag" and label.get("value") == EMULATOR_ONLY
               for label in data.get("labels") or [] if isinstance(label, dict))


def _copy_with_attachments(data: dict[str, Any], source: Path, target: Path, proven_on: str) -> None:
    """Writes the chosen result, marked with where it was proven, and every file it attaches."""
    def sources(node: dict[str, Any]) -> list[str]:
        found = [a.get("source") for a in node.get("attachments") or [] if isinstance(a, dict)]
        return found + [s for step in node.get("steps") or [] if isinstance(step, dict) for s in sources(step)]

    for name in {Path(str(n)).name for n in sources(data) if n}:  # a bare name: nothing outside either folder
        if name and (source / name).is_file() and not (source / name).is_symlink():
            shutil.copy2(source / name, target / name)
    data = dict(data, parameters=[*(data.get("parameters") or []), {"name": PROVEN_ON, "value": proven_on}])
    (target / f"{data.get('uuid') or data['historyId']}-result.json").write_text(json.dumps(data), encoding="utf-8")


def merge_runs(first: Path, second: Path, target: Path) -> dict[str, Any]:
    """One results directory: each scenario the sandbox can drive as the sandbox run showed it, each emulator-only
    scenario as the rehearsal showed it. Returns the merged run-info."""
    sandbox, rehearsal = _roles(Run.open(first), Run.open(second))
    build = _same_build(sandbox, rehearsal)
    target.mkdir(parents=True, exist_ok=True)
    from_sandbox, from_rehearsal = _result_files(sandbox.results), _result_files(rehearsal.results)
    for history_id in sorted(set(from_sandbox) | set(from_rehearsal)):
        in_sandbox = from_sandbox.get(history_id)
        emulator_only = _is_emulator_only((in_sandbox or from_rehearsal[history_id])[1])
        if emulator_only and history_id in from_rehearsal:
            path, data = from_rehearsal[history_id]
            _copy_with_attachments(data, path.parent, target, REHEARSAL)
        elif in_sandbox is not None:
            _copy_with_attachments(in_sandbox[1], in_sandbox[0].parent, target, SANDBOX)
    manifest = sandbox.results / MANIFEST
    if manifest.is_file():
        shutil.copy2(manifest, target / MANIFEST)
    info = {**sandbox.info, "merchant_build": build, "rehearsal_target": rehearsal.info.get("cryptopay_target"),
            "rehearsal_finished_at": rehearsal.info.get("finished_at"),
            "merged_from": f"{first} + {second}"}
    write_run_info(target, info)
    return info
