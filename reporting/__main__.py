"""Command line: python -m reporting build --results DIR --output DIR [--secrets-file FILE]
             python -m reporting merge RUN_A RUN_B --output DIR [--secrets-file FILE]."""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from reporting.allure import GenerationError
from reporting.build import OfflineCheckError, build, clear_previous
from reporting.merge import MergeError, merge_runs
from reporting.results import fill_not_run, load_scenarios
from reporting.run_info import read_run_info
from reporting.summary import build_summary, write_summary

EXIT_GENERATION_FAILED = 2
EXIT_SECRET_FOUND = 3
EXIT_MERGE_REFUSED = 4
MERGED_RESULTS = "allure-results-merged"


def summary_only(results: Path, output: Path) -> int:
    if not results.is_dir():
        print(f"no Allure results at {results}", file=sys.stderr)
        return EXIT_GENERATION_FAILED
    output.mkdir(parents=True, exist_ok=True)
    clear_previous(output)  # no older HTML verdict beside this summary
    fill_not_run(results)
    summary = build_summary(load_scenarios(results), read_run_info(results))
    json_path, md_path = write_summary(summary, output)
    print(f"go-live summary: {md_path} and {json_path}")
    print(f"verdict: {summary['headline']}")
    return 0


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
    summary = commands.add_parser("summary", help="the go-live summary only (no HTML), e.g. to check a run")
    summary.add_argument("--results", type=Path, required=True, help="the Allure results directory")
    summary.add_argument("--output", type=Path, required=True, help="where the summary goes")
    args = parser.parse_args(argv)
    if args.command == "summary":
        return summary_only(args.results, args.output)

    results = args.results if args.command == "build" else args.output / MERGED_RESULTS
    if args.command == "merge":
        try:
            shutil.rmtree(results, ignore_errors=True)
            merge_runs(*args.runs, results)
        except MergeError as exc:
            print(f"runs not merged: {exc}", file=sys.stderr)
            return EXIT_MERGE_REFUSED
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
