"""Offline proof of real mode: emulator and merchant as separate processes, the suite configured by an env file only."""
from __future__ import annotations

import json
import os
import re
import secrets
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from contextlib import ExitStack
from pathlib import Path

from support.targets.settings import suite_keys

ROOT = Path(__file__).resolve().parents[2]
PY = os.environ.get("PYTHON") or sys.executable
STARTUP_SECONDS = 30
EXPIRY_SECONDS = 600  # a sandbox invoice expires 10 minutes after it is created
# Request threads of the merchant process: twice the most workers, so each worker's one probe request in flight
# still leaves threads for Cryptopay's callbacks.
MERCHANT_THREADS = 16
PAYOUT_FUNDS_EUR = "10000.0"  # every payout scenario of the run together, each asking at most 100.00 EUR
WORKERS_PER_CPU = 4  # pytest workers mostly wait; more than this starves the two servers on the same machine


class NotReady(Exception):
    """A started process exited or stayed silent: says which and shows its log."""


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def clean_env() -> dict[str, str]:
    """This shell's environment without the suite's settings: only the env file configures the run."""
    keys = set(suite_keys(os.environ))
    return {key: value for key, value in os.environ.items() if key not in keys}


def free_port() -> int:
    # The merchant must know the emulator's URL and the emulator the merchant's: the emulator's port is chosen first.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(name: str, args: list[str], env: dict[str, str], work: Path, stack: ExitStack) -> dict:
    """Starts one process (its stderr to a log) and returns the one JSON line it prints when ready."""
    log_path = work / f"{name.replace(' ', '-')}.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([PY, *args], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=log, text=True)
    stack.callback(stop, proc)
    ready, _, _ = select.select([proc.stdout], [], [], STARTUP_SECONDS)
    line = proc.stdout.readline() if ready else ""
    if not line.startswith("{"):
        why = "exited before it was ready" if proc.poll() is not None else f"not ready after {STARTUP_SECONDS} s"
        raise NotReady(f"real_mode_offline: {name} {why}:\n" + log_path.read_text(errors="replace"))
    return json.loads(line)


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=15)
    proc.stdout.close()


def start_targets(work: Path, scale: str, credentials: dict[str, str], stack: ExitStack) -> tuple[str, dict]:
    """The reference merchant, then the emulator (no control API, clock scaled) pointed at it."""
    api_url = f"http://127.0.0.1:{free_port()}"
    merchant = start("reference merchant", ["-m", "reference_merchant", "--port", "0",
                                            f"--threads={MERCHANT_THREADS}"], {
        **clean_env(), "MERCHANT_DATABASE_URL": f"sqlite:///{work / 'merchant.sqlite3'}", "CRYPTOPAY_API_URL": api_url,
        "CRYPTOPAY_API_KEY": credentials["key"], "CRYPTOPAY_API_SECRET": credentials["api_secret"],
        "CRYPTOPAY_CALLBACK_SECRET": credentials["callback_secret"], "MERCHANT_PROBE_TOKEN": credentials["token"]},
        work, stack)
    # --rate-limit 0: the scaled run packs an hour of sandbox traffic into a minute; the real limit is 200/min (the
    # suite keeps to it by its request budget: benchmarks/bench_rate_limit.py runs the features against 200).
    # --opt=value: a random secret may start with "-", which argparse would take for an option.
    # --coin-withdrawal-callbacks: payouts are certified by their notifications, which the merchant switches on in
    # the dashboard (opt-in there too). --balance: the payout features state that the account holds 1000.00 EUR to
    # pay customers out; without control only the account's owner can fill it, as on the sandbox (fiat starts at 0,
    # and invoices paid in the run would fund it only by chance of order).
    start("emulator", ["-m", "cryptopay_emulator", f"--port={api_url.rsplit(':', 1)[1]}",
                       f"--callback-url={merchant['callback_url']}", f"--api-key={credentials['key']}",
                       f"--time-scale={scale}", "--no-control", "--rate-limit=0", "--coin-withdrawal-callbacks",
                       f"--balance=EUR={PAYOUT_FUNDS_EUR}"],
          {**clean_env(), "CRYPTOPAY_EMULATOR_API_SECRET": credentials["api_secret"],
           "CRYPTOPAY_EMULATOR_CALLBACK_SECRET": credentials["callback_secret"]}, work, stack)
    return api_url, merchant


def write_env_file(work: Path, api_url: str, merchant: dict, credentials: dict[str, str]) -> Path:
    """The run's only configuration, readable by this user alone."""
    # The reference merchant certified as an outside merchant signs off as one: the shipped example is refused then.
    signoff = work / "signoff.yml"
    signoff.write_text((ROOT / "signoff.yml").read_text(encoding="utf-8")
                       .replace("(reference merchant)", "(offline proof of real mode)"), encoding="utf-8")
    # Its emulator has no rate limit, so the suite's request budget is set out of the way (100000 a minute).
    lines = {"GO_LIVE_SIGNOFF_FILE": signoff, "CRYPTOPAY_API_URL": api_url, "CRYPTOPAY_API_KEY": credentials["key"],
             "CRYPTOPAY_API_SECRET": credentials["api_secret"],
             "CRYPTOPAY_CALLBACK_SECRET": credentials["callback_secret"],
             "MERCHANT_PROBE_URL": merchant["probe_url"], "MERCHANT_CALLBACK_URL": merchant["callback_url"],
             "MERCHANT_PROBE_TOKEN": credentials["token"], "PAYER": "coin_withdrawal", "WAIT_TIMEOUT_SECONDS": 60,
             "CRYPTOPAY_REQUESTS_PER_MINUTE": 100000}
    path = work / "real-mode.env"
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as env_file:
        env_file.write("".join(f"{key}={value}\n" for key, value in lines.items()))
    return path


def default_workers(env: dict[str, str]) -> list[str]:
    """As many workers as the machine and the merchant can serve: the emulator, the merchant and every worker share
    its CPUs, and one worker per scenario (70 on 2 CPUs) left the merchant too starved to answer within 15 s, so
    invoices stayed `new`. Scenarios waiting for an expiry may queue on one worker: at x60 that costs 10 s each."""
    listed = subprocess.run([PY, "-m", "pytest", "steps", "--collect-only", "-q", "-p", "no:cacheprovider"], cwd=ROOT,
                            env=env, capture_output=True, text=True)
    count = re.search(r"^([0-9]+) tests? collected", listed.stdout, re.MULTILINE)
    most = min(WORKERS_PER_CPU * (os.cpu_count() or 1), MERCHANT_THREADS // 2)
    workers = min(int(count.group(1)), most) if count else most
    return ["-n", str(max(workers, 1)), "--dist", "load"]


def run_features(work: Path, env: dict[str, str], args: list[str]) -> int:
    """`pytest steps` against the env file, its output shown and kept for the secret check."""
    with open(work / "pytest.out", "w") as kept:
        proc = subprocess.Popen([PY, "-m", "pytest", "steps", "-p", "no:cacheprovider", "-q", "-rs",
                                 f"--junitxml={work / 'junit.xml'}", f"--alluredir={work / 'allure-results'}", *args],
                                cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for line in proc.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            kept.write(line)
        return proc.wait()


def summarise(work: Path) -> int:
    """The verdict as a reviewer gets it: every collected scenario in the summary, the emulator-only ones not run."""
    done = subprocess.run([PY, "-m", "reporting", "summary", "--results", str(work / "allure-results"), "--output",
                           str(work / "summary")], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    sys.stderr.write(done.stdout)
    if done.returncode == 0 and os.environ.get("REAL_MODE_OFFLINE_SUMMARY"):
        shutil.copy(work / "summary" / "go-live-summary.json", os.environ["REAL_MODE_OFFLINE_SUMMARY"])
    return done.returncode


def secrets_leaked(work: Path, values: list[str]) -> bool:
    """Secret hygiene: none of this run's secrets may appear in its output, either process's log or the evidence."""
    places = [work / "pytest.out", work / "emulator.log", work / "reference-merchant.log"]
    places += [p for d in ("allure-results", "summary") for p in (work / d).rglob("*") if p.is_file()]
    texts = (p.read_text(errors="replace") for p in places if p.exists())
    return any(value in text for text in texts for value in values)


def report_times(work: Path, started: float, scale: float) -> None:
    wall = time.monotonic() - started
    cases = list(ET.parse(work / "junit.xml").getroot().iter("testcase"))
    ran = [(float(c.get("time") or 0), c.get("name")) for c in cases if c.find("skipped") is None]
    longest = max(ran, default=(0.0, "(none ran)"))
    for case in cases:
        skipped = case.find("skipped")
        if skipped is not None:
            say(f"  skipped: {case.get('name')}: {skipped.get('message', '')[:110]}")
    say(f"real mode offline: wall time {wall:.1f} s; longest single scenario {longest[0]:.1f} s ({longest[1]}); "
        f"the longest wait Cryptopay imposes, a 10-minute expiry, is {EXPIRY_SECONDS / scale:.1f} s at x{scale:g}")


def prove(work: Path, args: list[str], stack: ExitStack) -> int:
    scale = os.environ.get("TIME_SCALE") or "60"
    credentials = {name: secrets.token_urlsafe(n) for name, n in
                   (("key", 12), ("api_secret", 32), ("callback_secret", 32), ("token", 24))}
    api_url, merchant = start_targets(work, scale, credentials, stack)
    env = {**clean_env(), "CERTIFY_ENV_FILE": str(write_env_file(work, api_url, merchant, credentials))}
    say(f"real mode offline: emulator {api_url} (no control API, clock x{scale}), merchant {merchant['probe_url']}")
    say(f"  a 10-minute invoice expiry takes {round(EXPIRY_SECONDS / float(scale), 1)} s of wall time")
    args = args or default_workers(env)
    say(f"  pytest steps {' '.join(args)}")
    started = time.monotonic()
    status = run_features(work, env, args)
    summary_status = summarise(work)
    if summary_status:
        return summary_status  # as the shell script did under `set -e`: no summary, no proof
    if secrets_leaked(work, [credentials["api_secret"], credentials["callback_secret"], credentials["token"]]):
        say("real mode offline: a secret of this run appears in its output or logs")
        return 5  # nothing kept: the logs hold a secret
    report_times(work, started, float(scale))
    keep_summary(work)
    if status:
        keep_logs(work)
    return status


def keep_summary(work: Path) -> None:
    """The go-live summary outlives the work directory (checked free of this run's secrets above): the proof's
    verdict is read there, item by item."""
    kept = Path(tempfile.mkdtemp(prefix="real-mode-offline-summary."))
    for name in ("go-live-summary.md", "go-live-summary.json"):
        shutil.copy(work / "summary" / name, kept / name)
    say(f"real mode offline: the go-live summary is kept in {kept}/go-live-summary.md (and .json)")


def keep_logs(work: Path) -> None:
    """A failed run keeps both processes' logs and the pytest output (checked free of this run's secrets above), so
    a merchant that stopped answering can be diagnosed after the work directory is gone."""
    kept = Path(tempfile.mkdtemp(prefix="real-mode-offline-logs."))
    for name in ("emulator.log", "reference-merchant.log", "pytest.out"):
        if (work / name).exists():
            shutil.copy(work / name, kept / name)
    say(f"real mode offline: logs of this failed run kept in {kept}")


def main(argv: list[str]) -> int:
    """Extra arguments go to pytest, e.g. -n 4; TIME_SCALE (default 60) scales the emulator's clock."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so a terminated run still stops its processes
    work = Path(tempfile.mkdtemp(prefix="real-mode-offline."))  # mode 0700: the env file holds secrets
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, work, ignore_errors=True)
        try:
            return prove(work, argv, stack)
        except NotReady as exc:
            say(str(exc))
            return 3


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
