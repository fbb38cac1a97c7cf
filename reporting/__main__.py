"""Command line: python -m reporting build --results DIR --output DIR [--secrets-file FILE]
             python -m reporting merge RUN_A RUN_B --output DIR [--secrets-file FILE]
             python -m reporting verify EVIDENCE
             python -m reporting summary --results DIR --output DIR
Exit codes: reporting/exit_codes.py (bash scripts/certify.sh --help lists them)."""
from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from reporting import exit_codes
from reporting.allure import GenerationError
from reporting.build import OfflineCheckError, build, clear_previous, run_summary
from reporting.inert import printable
from reporting.merge import MergeError, check_runs, merge_runs
from reporting.results import fill_not_run
from reporting.summary import write_summary
from reporting.verify import CannotCheck, report_lines, verify

EXIT_GENERATION_FAILED = exit_codes.NOT_BUILT
EXIT_SECRET_FOUND = exit_codes.NOT_CLEAN
EXIT_MERGE_REFUSED = exit_codes.REFUSED
MERGED_RESULTS = "allure-results-merged"


def summary_only(results: Path, output: Path) -> int:
    if not results.is_dir():
        print(f"no Allure results at {results}", file=sys.stderr)
        return EXIT_GENERATION_FAILED
    output.mkdir(parents=True, exist_ok=True)
    clear_previous(output)  # no older HTML verdict beside this summary
    fill_not_run(results)
    summary = run_summary(results)
    json_path, md_path = write_summary(summary, output)
    print(f"go-live summary: {md_path} and {json_path}")
    print(f"verdict: {summary['headline']}")
    return 0


def verify_evidence(evidence: Path) -> int:
    """certify.sh --verify: VERIFIED or every problem, and the exit code a CI gate reads."""
    try:
        found = verify(evidence, dict(os.environ))
    except CannotCheck as exc:
        print(printable(f"cannot verify: {exc}"), file=sys.stderr)
        return exit_codes.REFUSED
    for line in report_lines(found):
        print(line)
    print(f"exit code {found.exit_code}: {exit_codes.WORDS[found.exit_code]}")
    return found.exit_code


def checked_merge(runs: list[Path], results: Path) -> int | None:
    """The two runs merged into `results` once both check out; else the exit code of why not."""
    try:
        problems = check_runs(*runs, dict(os.environ))
        if problems:
            print(printable(f"runs not merged: NOT VERIFIED: {len(problems)} problem(s)"), file=sys.stderr)
            for problem in problems:
                print(printable(f"  - {problem}"), file=sys.stderr)
            return exit_codes.NOT_VERIFIED
        shutil.rmtree(results, ignore_errors=True)
        merge_runs(*runs, results)
    except (MergeError, CannotCheck) as exc:
        print(printable(f"runs not merged: {exc}"), file=sys.stderr)
        return EXIT_MERGE_REFUSED
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reporting", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("build", help="build the go-live evidence and summary from Allure results")
    command.add_argument("--results", type=Path, required=True, help="the Allure results directory")
    command.add_argument("--output", type=Path, required=True, help="where the evidence and summary go")
    command.add_argument("--secrets-file", type=Path, help="secret values, one per line, that must not appear")
    merge = commands.add_parser("merge", help="one verdict from a sandbox run and an emulator rehearsal")
    merge.add_argument("runs", type=Path, nargs=2, help="two runs' results (reports/ or allure-results/ copies)")
    merge.add_argument("--output", type=Path, required=True, help="where the evidence and summary go")
    merge.add_argument("--secrets-file", type=Path, help="secret values, one per line, that must not appear")
    check = commands.add_parser("verify", help="re-check a certification's evidence against Cryptopay itself")
    check.add_argument("evidence", type=Path, help="the evidence: a copy of a run's whole reports/ folder")
    summary = commands.add_parser("summary", help="the go-live summary only (no HTML), e.g. to check a run")
    summary.add_argument("--results", type=Path, required=True, help="the Allure results directory")
    summary.add_argument("--output", type=Path, required=True, help="where the summary goes")
    args = parser.parse_args(argv)
    if args.command == "summary":
        return summary_only(args.results, args.output)
    if args.command == "verify":
        return verify_evidence(args.evidence)

    results = args.results if args.command == "build" else args.output / MERGED_RESULTS
    if args.command == "merge" and (refused := checked_merge(args.runs, results)) is not None:
        return refused
    try:
        result = build(results, args.output, args.secrets_file)
    except (GenerationError, OfflineCheckError, OSError) as exc:
        print(f"evidence report not generated: {exc}", file=sys.stderr)
        return EXIT_GENERATION_FAILED
    if result.secret_hits:
        # The file and which secret (by its line number), never the value itself.
        print("secret scan failed; these files must not be shared:", file=sys.stderr)
        for hit in result.secret_hits:
            print(f"  {hit}", file=sys.stderr)
        return EXIT_SECRET_FOUND
    print(f"evidence report: {result.evidence}")
    print(f"go-live summary: {result.summary_md} and {result.summary_json}")
    print(f"verdict: {result.headline}")
    if args.command == "merge":  # certify.sh --merge: its exit code says what the merged verdict says
        print(f"exit code {result.exit_code}: {exit_codes.WORDS[result.exit_code]}")
        return result.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
