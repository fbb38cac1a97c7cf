"""The go-live features against a rate-limited standalone emulator: requests per run, peak per 60 s, 429s, wall time.

    .venv/bin/python benchmarks/bench_rate_limit.py                      # --rate-limit 200 --time-scale 10, serial and -n 8
    .venv/bin/python benchmarks/bench_rate_limit.py --workers 4 --time-scale 20

Like scripts/real_mode_offline.sh: the emulator (no control API, payments by coin withdrawal, its clock scaled) and
the reference merchant run as separate processes, the suite is configured by an env file only. Between them sit
two counting proxies, one for the suite and one for the merchant, so every API request is counted where it is
sent: the peak of both together in any 60 s is what the emulator's per-key limit sees.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PY = sys.executable

# After the path insert above (noqa: E402).
from support.targets.offline_proof import PAYOUT_FUNDS_EUR, stop as stop_process  # noqa: E402
from support.targets.settings import SUITE_PREFIXES  # noqa: E402
# Settings inherited from the shell would add to the env file's: the run is configured by the file only.
OWN_PREFIXES = (*SUITE_PREFIXES, "PYTEST_")
HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "server"}


@dataclass
class Figures:
    rate_limit: int
    time_scale: float
    workers: int
    passed: int
    failed: int
    skipped: int
    wall_seconds: float
    longest_scenario_seconds: float
    suite_requests: int
    merchant_requests: int
    peak_60s: int
    suite_peak_60s: int
    answered_429: int
    scenarios_failed_by_429: int
    failures: list[str]

    def row(self) -> str:
        mode = "serial" if self.workers == 0 else f"-n {self.workers}"
        return (f"| x{self.time_scale:g}, {mode} | {self.passed} passed, {self.failed} failed, {self.skipped} skipped "
                f"| {self.suite_requests + self.merchant_requests} ({self.suite_requests} suite + "
                f"{self.merchant_requests} merchant) | {self.peak_60s} ({self.suite_peak_60s} suite) | {self.answered_429} "
                f"| {self.scenarios_failed_by_429} | {self.wall_seconds:.0f} s | {self.longest_scenario_seconds:.0f} s |")


class RequestLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.entries: list[tuple[float, str, str, int]] = []  # (monotonic time, method, path, status)

    def add(self, method: str, path: str, status: int) -> None:
        with self._lock:
            self.entries.append((time.monotonic(), method, path, status))

    def api(self) -> list[tuple[float, str, str, int]]:
        with self._lock:
            return [e for e in self.entries if e[2].startswith("/api/")]


def peak_in_window(times: list[float], window: float = 60.0) -> int:
    """The most requests in any `window` seconds (a sliding window over sorted times)."""
    times, best, start = sorted(times), 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


def counting_proxy(upstream: str, log: RequestLog) -> ThreadingHTTPServer:
    """Forwards every request byte for byte (the HMAC covers method, body, Date and path, not the host) and keeps
    the upstream's own headers, its Date above all: the suite reads Cryptopay's clock from it."""
    local = threading.local()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _forward(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if not hasattr(local, "session"):
                local.session = requests.Session()
            session = local.session
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
            answer = session.request(self.command, upstream + self.path, data=body or None, headers=headers,
                                     timeout=30, allow_redirects=False)
            log.add(self.command, self.path, answer.status_code)
            self.send_response_only(answer.status_code)  # not send_response: it would add a second Date
            for key, value in answer.headers.items():
                if key.lower() not in HOP_HEADERS:
                    self.send_header(key, value)
            payload = b"" if self.command == "HEAD" else answer.content
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = _forward

        def log_message(self, *args) -> None:  # quiet: the log above is the record
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="counting-proxy", daemon=True).start()
    return server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def first_json_line(process: subprocess.Popen, what: str) -> dict:
    """The one JSON line a started server prints when it is ready (an empty line: it exited)."""
    line = process.stdout.readline() if process.stdout else ""
    if not line.startswith("{"):
        raise RuntimeError(f"{what} did not start: {line!r}")
    return json.loads(line)


@contextmanager
def stack(workdir: Path, rate_limit: int, time_scale: float) -> Iterator[dict]:
    """Emulator and merchant as processes, each behind its own counting proxy; yields the env file's values."""
    key, api_secret, callback_secret, token = (secrets.token_urlsafe(n) for n in (12, 32, 32, 24))
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(OWN_PREFIXES)}
    suite_log, merchant_log = RequestLog(), RequestLog()
    emulator_url = f"http://127.0.0.1:{free_port()}"
    with ExitStack() as stop:
        suite_proxy, merchant_proxy = counting_proxy(emulator_url, suite_log), counting_proxy(emulator_url, merchant_log)
        stop.callback(suite_proxy.shutdown)
        stop.callback(merchant_proxy.shutdown)
        merchant = subprocess.Popen(
            [PY, "-m", "reference_merchant", "--port", "0"], cwd=ROOT, text=True, stdout=subprocess.PIPE,
            stderr=open(workdir / "merchant.log", "w"), env={
                **base_env, "MERCHANT_DATABASE_URL": f"sqlite:///{workdir / 'merchant.sqlite3'}",
                "CRYPTOPAY_API_URL": f"http://127.0.0.1:{merchant_proxy.server_port}", "CRYPTOPAY_API_KEY": key,
                "CRYPTOPAY_API_SECRET": api_secret, "CRYPTOPAY_CALLBACK_SECRET": callback_secret,
                "MERCHANT_PROBE_TOKEN": token})
        stop.callback(stop_process, merchant)
        urls = first_json_line(merchant, "reference merchant")
        emulator = subprocess.Popen(
            [PY, "-m", "cryptopay_emulator", f"--port={emulator_url.rsplit(':', 1)[1]}",
             f"--callback-url={urls['callback_url']}", f"--api-key={key}", f"--time-scale={time_scale:g}",
             "--no-control", f"--rate-limit={rate_limit}", "--coin-withdrawal-callbacks",
             f"--balance=EUR={PAYOUT_FUNDS_EUR}"], cwd=ROOT, text=True, stdout=subprocess.PIPE,
            stderr=open(workdir / "emulator.log", "w"), env={
                **base_env, "CRYPTOPAY_EMULATOR_API_SECRET": api_secret,
                "CRYPTOPAY_EMULATOR_CALLBACK_SECRET": callback_secret})
        stop.callback(stop_process, emulator)
        first_json_line(emulator, "emulator")
        signoff = workdir / "signoff.yml"
        signoff.write_text((ROOT / "signoff.yml").read_text().replace("(reference merchant)",
                                                                       "(rate-limit benchmark)"))
        yield {"env": {
            "GO_LIVE_SIGNOFF_FILE": str(signoff), "CRYPTOPAY_API_URL": f"http://127.0.0.1:{suite_proxy.server_port}",
            "CRYPTOPAY_API_KEY": key, "CRYPTOPAY_API_SECRET": api_secret, "CRYPTOPAY_CALLBACK_SECRET": callback_secret,
            "MERCHANT_PROBE_URL": urls["probe_url"], "MERCHANT_CALLBACK_URL": urls["callback_url"],
            "MERCHANT_PROBE_TOKEN": token, "PAYER": "coin_withdrawal", "CRYPTOPAY_REQUESTS_PER_MINUTE": str(rate_limit),
            "WAIT_TIMEOUT_SECONDS": "180"}, "base_env": base_env, "suite_log": suite_log, "merchant_log": merchant_log}


def run_once(rate_limit: int = 200, time_scale: float = 10, workers: int = 0, extra: list[str] | None = None,
             timeout: float = 3600) -> Figures:
    workdir = Path(tempfile.mkdtemp(prefix="bench-rate-limit-"))
    try:
        with stack(workdir, rate_limit, time_scale) as started:
            env_file = workdir / "run.env"
            env_file.write_text("".join(f"{k}={v}\n" for k, v in started["env"].items()))
            env_file.chmod(0o600)
            command = [PY, "-m", "pytest", "steps", "-p", "no:cacheprovider", "-q", "-rs",
                       f"--junitxml={workdir / 'junit.xml'}", *(["-n", str(workers)] if workers else []),
                       *(extra or [])]
            began = time.monotonic()
            result = subprocess.run(command, cwd=ROOT, env={**started["base_env"], "CERTIFY_ENV_FILE": str(env_file)},
                                    capture_output=True, text=True, timeout=timeout)
            wall = time.monotonic() - began
            (workdir / "pytest.out").write_text(result.stdout + result.stderr)
            return _figures(rate_limit, time_scale, workers, wall, workdir / "junit.xml", started["suite_log"],
                            started["merchant_log"], result.stdout + result.stderr)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _figures(rate_limit: int, time_scale: float, workers: int, wall: float, junit: Path, suite: RequestLog,
             merchant: RequestLog, output: str) -> Figures:
    cases = list(ET.parse(junit).getroot().iter("testcase")) if junit.is_file() else []
    failed = [c for c in cases if c.find("failure") is not None or c.find("error") is not None]
    skipped = [c for c in cases if c.find("skipped") is not None]
    ran = [float(c.get("time") or 0) for c in cases if c.find("skipped") is None]
    texts = {c.get("name"): ET.tostring(c, encoding="unicode") for c in failed}
    calls = suite.api() + merchant.api()
    return Figures(
        rate_limit=rate_limit, time_scale=time_scale, workers=workers, passed=len(cases) - len(failed) - len(skipped),
        failed=len(failed), skipped=len(skipped), wall_seconds=round(wall, 1),
        longest_scenario_seconds=round(max(ran, default=0.0), 1), suite_requests=len(suite.api()),
        # The emulator's limit counts on its own clock: one of its minutes is 60 / time_scale seconds of ours.
        merchant_requests=len(merchant.api()), peak_60s=peak_in_window([t for t, *_ in calls], 60 / time_scale),
        suite_peak_60s=peak_in_window([t for t, *_ in suite.api()], 60 / time_scale),
        answered_429=sum(1 for *_, status in calls if status == 429),
        scenarios_failed_by_429=sum(1 for text in texts.values() if "429" in text or "too_many_requests" in text),
        failures=[f"{name}: {_first_error(text)}" for name, text in texts.items()] or
        ([output[-1500:]] if not cases else []))


def _first_error(text: str) -> str:
    found = re.search(r'message="([^"]{0,300})', text)
    return found.group(1) if found else text[:300]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate-limit", type=int, default=200)
    parser.add_argument("--time-scale", type=float, default=10)
    parser.add_argument("--workers", default="0,8", help="comma-separated; 0 is serial (default: 0,8)")
    parser.add_argument("--json", type=Path, help="also write every run's figures here")
    parser.add_argument("--select", metavar="MARKERS", help="only these scenarios (pytest -m), e.g. invoices")
    args = parser.parse_args(argv)
    # A terminated benchmark still stops its servers and deletes its work directory (the run's env file).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    print("| clock, mode | scenarios | API requests per run | peak in any Cryptopay minute | 429 answered | 429 reaching a "
          "scenario | wall time | longest scenario |\n| --- | --- | --- | --- | --- | --- | --- | --- |", flush=True)
    runs = []
    for workers in (int(w) for w in args.workers.split(",")):
        figures = run_once(args.rate_limit, args.time_scale, workers, ["-m", args.select] if args.select else None)
        runs.append(asdict(figures))
        print(figures.row(), flush=True)
        for failure in figures.failures:
            print(f"    failed: {failure}", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(runs, indent=2))
    return 0 if all(not r["failed"] and not r["scenarios_failed_by_429"] for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
