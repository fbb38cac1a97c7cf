"""Command line: python -m reporting build --results DIR --output DIR [--secrets-file FILE]."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from reporting.allure import GenerationError
from reporting.build import OfflineCheckError, build

EXIT_GENERATION_FAILED = 2
EXIT_SECRET_FOUND = 3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reporting", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("build", help="build the go-live evidence and summary from Allure results")
    command.add_argument("--results", type=Path, required=True, help="the Allure results directory")
    command.add_argument("--output", type=Path, required=True, help="where the evidence and summary go")
    command.add_argument("--secrets-file", type=Path, help="secret values, one per line, that must not appear")
    args = parser.parse_args(argv)

    try:
        result = build(args.results, args.output, args.secrets_file)
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
    print(f"go-live summary: {result.summary_md} and {result.summary_json} (overall: {result.overall})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
