"""Times the embedded go-live run as certify.sh makes it (features, evidence and all): all three checklists serially,
with -n 2, and the invoice checklist alone beside them, in rounds; reports failed runs and per-scenario durations.
Usage: .venv/bin/python benchmarks/bench_suite.py [--runs 5]"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reporting import exit_codes  # noqa: E402

# Exit codes of a run in which nothing failed (reporting/exit_codes.py).
PASSED = (exit_codes.READY, exit_codes.PARTIAL, exit_codes.REHEARSAL_PASSED)
# (label, extra pytest arguments): what is compared; the whole run must stay within a small multiple of invoices.
MODES = (("all three, serial", []), ("all three, -n 2", ["-n", "2"]), ("invoices only, serial", ["-m", "invoices"]))


def one_run(extra: list[str], workdir: Path) -> tuple[float, int, list[tuple[str, float]]]:
    """One run with certify.sh's own arguments, its evidence written to `workdir` instead of reports/."""
    junit = workdir / "junit.xml"
    args = [sys.executable, "-m", "pytest", "steps", "-p", "no:cacheprovider", f"--alluredir={workdir / 'results'}",
            f"--go-live-evidence={workdir}", f"--junitxml={junit}", "-q", *extra]
    env = dict(os.environ, CERTIFY_ENV_FILE=os.devnull)
    started = time.perf_counter()
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    cases = [(c.get("name"), float(c.get("time", 0))) for c in ET.parse(junit).getroot().iter("testcase")
             if c.find("skipped") is None]
    return wall, done.returncode, cases


def measure(runs: int) -> dict[str, float]:
    """Each round runs every mode once, one after the other: this machine's speed drifts by a third within an
    hour, and modes measured in turn meet the same drift, so their ratio is fair where their absolute figures are not."""
    walls, failures, per_case = ({label: [] for label, _ in MODES}, {label: 0 for label, _ in MODES},
                                 {label: {} for label, _ in MODES})
    for _ in range(runs):
        for label, extra in MODES:
            with tempfile.TemporaryDirectory() as tmp:
                wall, code, cases = one_run(extra, Path(tmp))
            walls[label].append(wall)
            failures[label] += code not in PASSED  # the verdict's code: a full embedded run is a rehearsal, -m a subset
            for name, seconds in cases:
                per_case[label].setdefault(name, []).append(seconds)
    for label, _ in MODES:
        report(label, walls[label], failures[label], per_case[label])
    return {label: statistics.median(values) for label, values in walls.items()}


def report(label: str, walls: list[float], failures: int, per_case: dict[str, list[float]]) -> None:
    times = [t for v in per_case.values() for t in v]
    slowest = max(per_case.items(), key=lambda item: max(item[1]))
    print(f"{label}: runs={len(walls)} failed_runs={failures} wall median={statistics.median(walls):.2f}s "
          f"min={min(walls):.2f}s max={max(walls):.2f}s scenarios={len(per_case)} "
          f"scenario median={statistics.median(times):.3f}s max={max(times):.3f}s ({slowest[0][:70]})")


def cpu_reference() -> float:
    """Seconds for a fixed pure-Python loop: this shared machine's speed changes by a third from hour to hour, so
    each figure is printed beside what the same loop took then (lower is a faster machine)."""
    started, total = time.perf_counter(), 0
    for step in range(10_000_000):
        total += step
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}; CPU reference (10M-step loop) before: {cpu_reference():.3f}s")
    medians = measure(args.runs)
    print(f"all three / invoices only: {medians['all three, serial'] / medians['invoices only, serial']:.2f}x; "
          f"-n 2 / serial: {medians['all three, -n 2'] / medians['all three, serial']:.2f}x; "
          f"load average after: {os.getloadavg()[0]:.2f}; CPU reference after: {cpu_reference():.3f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
