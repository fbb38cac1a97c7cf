"""Measures the emulator: signed invoice creates per second (backend alone, HTTP in-process, HTTP to a standalone
process) and callback latency from a payment to the merchant's 200. Usage:
.venv/bin/python benchmarks/bench_emulator.py [--creates 20000] [--http-creates 3000] [--samples 300] [--repeat 3]"""
from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cryptopay_client.signing import HmacAuth  # noqa: E402
from cryptopay_emulator import EmulatorConfig, create_app  # noqa: E402
from support.targets.servers import ServerThread  # noqa: E402

PARAMS = {"price_amount": "100.0", "price_currency": "EUR", "pay_currency": "BTC"}
BODY = json.dumps(PARAMS).encode()


def config(**overrides) -> EmulatorConfig:
    return EmulatorConfig(api_key="bench", api_secret="bench-secret", callback_secret="bench-cb",
                          rate_limit_per_minute=0, **overrides)


def backend_creates(n: int) -> float:
    """The backend alone (validation, amounts, state, the callback queued): no HTTP, no signing."""
    invoices = create_app(config()).backends.invoices
    started = time.perf_counter()
    for _ in range(n):
        invoices.create(PARAMS)
    return n / (time.perf_counter() - started)


def http_creates(url: str, n: int, threads: int) -> float:
    """Signed POST /api/invoices over keep-alive sessions, `threads` clients at once."""
    per_thread = n // threads
    failures: list[int] = []

    def run() -> None:
        session, auth = requests.Session(), HmacAuth("bench", "bench-secret")
        for _ in range(per_thread):
            answer = session.post(url + "/api/invoices", data=BODY, auth=auth, timeout=30)
            if answer.status_code != 201:
                failures.append(answer.status_code)

    workers = [threading.Thread(target=run) for _ in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise SystemExit(f"{len(failures)} creates failed, e.g. HTTP {failures[0]}")
    return per_thread * threads / elapsed


def standalone_creates(n: int, threads: int) -> float:
    """The emulator in its own process (its own core and GIL), as `python -m cryptopay_emulator` runs it."""
    process = subprocess.Popen([sys.executable, "-m", "cryptopay_emulator", "--port", "0", "--rate-limit", "0",
                                "--api-key", "bench", "--api-secret", "bench-secret"], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        url = json.loads(process.stdout.readline())["api_url"]
        http_creates(url, min(n, 300), threads)  # warm-up
        return http_creates(url, n, threads)
    finally:
        process.terminate()
        process.wait(timeout=10)


class Receiver:
    """Merchant endpoint that notes when each invoice's final callback arrived, and answers 200."""

    def __init__(self) -> None:
        self.final_at: dict[str, float] = {}
        self.first_at: dict[str, float] = {}
        self.created: set[str] = set()
        self.done = threading.Condition()

    def wsgi(self, environ, start_response):
        body = json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
        now = time.perf_counter()
        with self.done:
            invoice_id = body["data"]["id"]
            if body["event"] == "created":
                self.created.add(invoice_id)
                self.done.notify_all()
            if body["event"] == "transaction_created":
                self.first_at.setdefault(invoice_id, now)
            if body["event"] == "status_changed" and body["data"]["status"] == "completed":
                self.final_at[invoice_id] = now
                self.done.notify_all()
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]


def callback_latency(samples: int) -> dict[str, float]:
    receiver = Receiver()
    merchant = ServerThread(receiver.wsgi, "bench-merchant").start()
    emulator = create_app(config(callback_url=merchant.url + "/cb"))
    server = ServerThread(emulator.wsgi, "bench-emulator").start()
    emulator.start()
    session = requests.Session()
    firsts, finals = [], []
    try:
        for _ in range(samples):
            invoice = emulator.backends.invoices.create(PARAMS)
            with receiver.done:  # let the "created" callback go first, so it does not queue ahead of the payment
                receiver.done.wait_for(lambda: invoice["id"] in receiver.created, 30)
            started = time.perf_counter()
            session.post(server.url + "/_emulator/payments", json={"invoice_id": invoice["id"],
                                                                   "amount": invoice["pay_amount"]}, timeout=30)
            with receiver.done:
                if not receiver.done.wait_for(lambda: invoice["id"] in receiver.final_at, 30):
                    raise SystemExit("a completed callback did not arrive within 30 s")
            firsts.append((receiver.first_at[invoice["id"]] - started) * 1000)
            finals.append((receiver.final_at[invoice["id"]] - started) * 1000)
    finally:
        emulator.stop()
        server.stop()
        merchant.stop()
    return {"first_callback_median_ms": statistics.median(firsts), "first_callback_p99_ms": percentile(firsts, 99),
            "completed_callback_median_ms": statistics.median(finals),
            "completed_callback_p99_ms": percentile(finals, 99)}


def percentile(values: list[float], p: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def measure_once(args: argparse.Namespace) -> dict[str, float]:
    results = {"backend_creates_per_s": backend_creates(args.creates)}
    in_process = create_app(config())
    server = ServerThread(in_process.wsgi, "bench-emulator").start()
    try:
        results["http_in_process_creates_per_s"] = http_creates(server.url, args.http_creates, 1)
    finally:
        server.stop()
    for threads in (1, 2, 4):
        results[f"http_standalone_{threads}_clients_creates_per_s"] = standalone_creates(args.http_creates, threads)
    results.update(callback_latency(args.samples))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--creates", type=int, default=20000, help="backend-only creates")
    parser.add_argument("--http-creates", type=int, default=3000, help="signed HTTP creates per HTTP measurement")
    parser.add_argument("--samples", type=int, default=300, help="payments timed for callback latency")
    parser.add_argument("--repeat", type=int, default=3, help="whole runs; the median of each figure is reported")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # an access-log line per request would be measured too
    runs = [measure_once(args) for _ in range(args.repeat)]
    print(f"date {date.today().isoformat()}, nproc {os.cpu_count()}, Python {platform.python_version()} "
          f"({platform.machine()}), load average before the last run {os.getloadavg()[0]:.2f}, "
          f"median of {args.repeat} runs [min–max]")
    width = max(map(len, runs[0]))
    for key in runs[0]:
        values = [run[key] for run in runs]
        print(f"{key:<{width}}  {statistics.median(values):9.1f}  [{min(values):.1f}–{max(values):.1f}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
