"""Times the full embedded go-live run (serial and -n 2) over repeated runs and reports flakiness and per-scenario
durations. Usage: .venv/bin/python benchmarks/bench_suite.py [--runs 20]"""
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


def one_run(workers: int, junit: Path) -> tuple[float, int, list[tuple[str, float]]]:
    args = [sys.executable, "-m", "pytest", "steps", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}"]
    if workers > 1:
        args += ["-n", str(workers)]
    env = dict(os.environ, CERTIFY_ENV_FILE=os.devnull)
    started = time.perf_counter()
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    cases = [(c.get("name"), float(c.get("time", 0))) for c in ET.parse(junit).getroot().iter("testcase")]
    return wall, done.returncode, cases


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for workers in (1, 2):
            walls, failures, per_case = [], 0, {}
            for i in range(args.runs):
                wall, code, cases = one_run(workers, Path(tmp) / f"j{workers}-{i}.xml")
                walls.append(wall)
                failures += code != 0
                for name, seconds in cases:
                    per_case.setdefault(name, []).append(seconds)
            medians = sorted(((statistics.median(v), k) for k, v in per_case.items()), reverse=True)
            all_times = [t for v in per_case.values() for t in v]
            print(f"workers={workers}: runs={args.runs} failed_runs={failures} wall median={statistics.median(walls):.2f}s "
                  f"min={min(walls):.2f}s max={max(walls):.2f}s scenarios={len(per_case)} "
                  f"scenario median={statistics.median(all_times):.3f}s max={max(all_times):.3f}s")
            print("  slowest scenarios (median s): " + ", ".join(f"{k} {m:.3f}" for m, k in medians[:3]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
