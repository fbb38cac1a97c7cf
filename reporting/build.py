"""One build: metadata into the results, Allure report made offline, go-live summary, then the secret scan."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from reporting import allure
from reporting.cryptopay_objects import attached_objects, scenario_entry
from reporting.exit_codes import for_verdict
from reporting.integrity import MANIFEST_NAME, digest, write_digest_manifest
from reporting.metadata import write_metadata
from reporting.offline import external_references, strip_external
from reporting.results import Scenario, fill_not_run, latest_results, load_scenarios
from reporting.run_info import read_run_info
from reporting.secret_scan import Hit, read_secrets, scan_paths
from reporting.summary import JSON_NAME, MARKDOWN_NAME, build_summary, target_class, write_summary
from reporting.tidy import tidy_results
from reporting.verdict_page import place_banner

EVIDENCE_NAME = "go-live-evidence.html"
SUMMARY_ATTACHMENT = "go-live-summary-attachment.md"


EVIDENCE_FILES = (EVIDENCE_NAME, MARKDOWN_NAME, JSON_NAME, MANIFEST_NAME)


class OfflineCheckError(RuntimeError):
    pass


def clear_previous(output_dir: Path) -> None:
    """A build that starts has a new verdict coming: an older one must not stay beside it, even if the build fails
    half-way (a new summary beside the previous run's HTML would be two verdicts in one folder)."""
    for name in EVIDENCE_FILES:
        (Path(output_dir) / name).unlink(missing_ok=True)


@dataclass
class BuildResult:
    evidence: Path
    summary_json: Path
    summary_md: Path
    overall: str
    headline: str
    removed_external: int
    secret_hits: list[Hit] = field(default_factory=list)
    manifest: Path | None = None
    exit_code: int = 1  # the verdict's, for certify.sh (reporting/exit_codes.py)


def cryptopay_objects(results_dir: Path, scenarios: list[Scenario]) -> list[dict]:
    """The Cryptopay objects behind each scenario, from the attachment its run recorded at its end."""
    files, listed = latest_results(results_dir), []
    for scenario in scenarios:
        found = files.get(scenario.history_id)
        objects = attached_objects(results_dir, found[1]) if found else []
        if objects:
            listed.append(scenario_entry(scenario, objects))
    return listed


def run_summary(results_dir: Path) -> dict:
    """The summary of the results as they stand: every scenario, the run's facts, the objects behind them."""
    scenarios = load_scenarios(results_dir)
    return build_summary(scenarios, read_run_info(results_dir), cryptopay_objects(results_dir, scenarios))


def gate_facts(summary: dict) -> dict:
    """What the report's quality gate judges: the verdict as summary.py decided it, never decided again here."""
    return {"overall": summary["overall"], "headline": summary["headline"],
            "certification": summary["certification"], "target": target_class(summary["run"]) or "unrecorded"}


def make_offline(html: str) -> tuple[str, int]:
    """Strips what Allure loads from outside and refuses a page that would still reach out."""
    html, removed = strip_external(html)
    remaining = external_references(html)
    if remaining:
        raise OfflineCheckError("the report would still load from outside: " + ", ".join(remaining[:10]))
    return html, removed


def attach_summary(results_dir: Path, summary_md: Path) -> None:
    """The verdict table inside the evidence file too (Global Attachments), so the one file tells the whole story."""
    (results_dir / SUMMARY_ATTACHMENT).write_bytes(summary_md.read_bytes())
    name = "Go-live summary (a verdict per product, every checklist item)"
    globals_file = {"attachments": [{"name": name, "source": SUMMARY_ATTACHMENT,
                                     "type": "text/markdown", "timestamp": int(time.time() * 1000)}]}
    (results_dir / "go-live-summary-globals.json").write_text(json.dumps(globals_file), encoding="utf-8")


def build(results_dir: Path, output_dir: Path, secrets_file: Path | None = None,
          *, secrets: list[str] | None = None, allure_bin: Path = allure.ALLURE_BIN,
          also: tuple[Path, ...] = (), preloaded: allure.Preloaded | None = None) -> BuildResult:
    """secrets (in memory) or secrets_file: the values the results, the evidence and the summary must not hold.
    also: other files of the evidence in output_dir (junit.xml) that the manifest covers too.
    preloaded: Allure started ahead of the build (allure.preload())."""
    results_dir, output_dir = Path(results_dir), Path(output_dir)
    if not results_dir.is_dir():
        raise FileNotFoundError(f"no Allure results at {results_dir}")
    output_dir.mkdir(parents=True, exist_ok=True)
    clear_previous(output_dir)
    run_info = read_run_info(results_dir)
    fill_not_run(results_dir)  # every collected scenario appears, with why it did not run
    write_metadata(results_dir, run_info)

    summary = run_summary(results_dir)
    summary_json, summary_md = write_summary(summary, output_dir)
    attach_summary(results_dir, summary_md)
    tidy_results(results_dir, summary)

    values = (secrets or []) + (read_secrets(secrets_file) if secrets_file is not None else [])
    hits: list[Hit] = []
    # The results are final once tidied: they are scanned while Allure (another process) turns them into the page.
    generated = allure.generate(results_dir, allure_bin=allure_bin, verdict=gate_facts(summary), summary=summary,
                                preloaded=preloaded,
                                meanwhile=lambda: hits.extend(scan_paths([results_dir, summary_json, summary_md],
                                                                         values)))
    # The banner goes in before the offline check, so the check covers it too.
    html, removed = make_offline(place_banner(generated, summary, summary_digest=digest(summary_json)))
    evidence = output_dir / EVIDENCE_NAME
    evidence.write_text(html, encoding="utf-8")
    hits += scan_paths([evidence], values)
    # Last: nothing of the evidence changes after its digests are taken.
    extra = [Path(p).name for p in also if Path(p).resolve().parent == output_dir.resolve()]
    manifest = write_digest_manifest(output_dir, results_dir, [EVIDENCE_NAME, JSON_NAME, MARKDOWN_NAME, *extra])
    return BuildResult(evidence, summary_json, summary_md, summary["overall"], summary["headline"], removed, hits,
                       manifest, for_verdict(summary))
