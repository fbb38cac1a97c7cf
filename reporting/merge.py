"""Merges a real-sandbox run and an emulator rehearsal of the same merchant build into one set of results."""
from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reporting.results import PROVEN_ON, load_scenarios, not_run_results
from reporting.run_info import read_run_info, write_run_info
from support.run_manifest import MANIFEST

SANDBOX, REHEARSAL = "the Cryptopay sandbox", "the emulator rehearsal"
MERGED_TARGET = "sandbox + emulator rehearsal"
EMULATOR_ONLY = "emulator_only"


class MergeError(ValueError):
    """The two runs cannot stand together as one certification; the message says why and what to do."""


@dataclass(frozen=True)
class Run:
    results: Path
    info: dict[str, Any]

    @classmethod
    def open(cls, path: Path) -> "Run":
        """A run is its Allure results directory, or a reports/ directory holding allure-results/."""
        path = Path(path)
        results = path / "allure-results" if (path / "allure-results").is_dir() else path
        if not (results / "run-info.json").is_file():
            raise MergeError(f"{path} holds no run: expected run-info.json in it or in its allure-results/ "
                             "(keep a copy of reports/allure-results after each run)")
        return cls(results, read_run_info(results))


def _roles(first: Run, second: Run) -> tuple[Run, Run]:
    """Which run is on the sandbox and which rehearsed on an emulator with its control API."""
    sandbox = [run for run in (first, second) if run.info.get("target_class") == "sandbox"]
    rehearsal = [run for run in (first, second)
                 if run.info.get("target_class") in ("standalone emulator", "embedded emulator")
                 and run.info.get("emulator_control")]
    if len(sandbox) != 1 or len(rehearsal) != 1:
        raise MergeError("a merge needs one run on the Cryptopay sandbox and one rehearsal on an emulator with its "
                         "control API; got: " + ", ".join(str(run.info.get("target_class")) for run in (first, second)))
    return sandbox[0], rehearsal[0]


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
    """historyId -> the latest result file of that scenario (the same choice load_scenarios makes), and a not-run
    result for each collected scenario without one: a scenario missing from either run still counts."""
    chosen = {s.history_id: s for s in load_scenarios(results)}
    files: dict[str, tuple[Path, dict[str, Any]]] = {}
    for path in results.glob("*-result.json"):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        scenario = chosen.get(str(data.get("historyId")))
        if scenario is not None and int(data.get("stop") or data.get("start") or 0) == scenario.stop:
            files[scenario.history_id] = (path, data)
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

    for name in filter(None, sources(data)):
        if (source / name).is_file():
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
    info = {**sandbox.info, "target_class": MERGED_TARGET, "merchant_build": build,
            "rehearsal_target": rehearsal.info.get("cryptopay_target"),
            "rehearsal_finished_at": rehearsal.info.get("finished_at"),
            "merged_from": f"{first} + {second}"}
    write_run_info(target, info)
    return info
