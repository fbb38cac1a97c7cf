"""Runs the targets the suite starts itself (emulator, reference merchant) in a process of their own beside the run.

Why a process: the scenarios' Python and the targets' Python then run on two cores instead of taking turns on one
interpreter lock; the serial embedded run takes a sixth less. The process is started early (its imports overlap
collection), gets its one job on stdin (the credentials never go on a command line), answers one JSON line with the
targets' URLs, and stops its servers when its stdin closes: when the run closes it, or when the run dies.
"""
from __future__ import annotations

import gc
import importlib
import json
import logging
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO

# Longer than any machine here takes to start both (under a second), short enough that a broken start is named.
READY_SECONDS = 60.0
STOP_SECONDS = 10.0
OWN_FOLDER = "--own-folder"  # the one argument: where its log is, to remove after a clean stop (no secret in it)


@dataclass(frozen=True)
class PairJob:
    """What to start: the emulator's options and the merchant's, or None for a target named in .env (its URL then)."""
    api_key: str
    api_secret: str
    callback_secret: str
    probe_token: str
    emulator: dict | None
    merchant: dict | None
    api_url: str | None = None  # the external Cryptopay, when no emulator is started
    callback_url: str | None = None  # the external merchant's, when no merchant is started

    def __repr__(self) -> str:  # its secrets never in a traceback
        return f"PairJob(emulator={self.emulator is not None}, merchant={self.merchant is not None})"


@dataclass(frozen=True)
class StartedPair:
    api_url: str
    control_url: str | None
    probe_url: str | None
    callback_url: str


class PairProcessError(RuntimeError):
    pass


class PairProcess:
    """The targets' process seen from the run: spawned ahead, given its job once, closed at the end."""

    def __init__(self, folder: Path | None = None) -> None:
        # Its own errors (a traceback) go to a file, read back only if it fails; a folder of its own is removed after
        # a clean stop.
        self._own_folder = folder is None
        self._folder = Path(tempfile.mkdtemp(prefix="go-live-targets-")) if folder is None else Path(folder)
        self._log_path = self._folder / "targets.log"
        self._log: IO[bytes] = open(self._log_path, "wb")
        # A folder of its own is removed by the process itself after a clean stop, even when the run that started it
        # was killed and never closes it (its stdin then ends all the same).
        own = [OWN_FOLDER, str(self._folder)] if self._own_folder else []
        self._process = subprocess.Popen([sys.executable, "-m", "support.targets.pair_process", *own],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log,
                                         cwd=Path(__file__).parents[2])

    def start(self, job: PairJob) -> StartedPair:
        """Hands over the job and waits for the URLs the targets listen on."""
        try:
            self._process.stdin.write((json.dumps(asdict(job)) + "\n").encode("utf-8"))
            self._process.stdin.flush()
        except OSError:
            raise PairProcessError(self._failure("it ended before it was given its job")) from None
        line = self._ready_line()
        try:
            answer = json.loads(line)
            return StartedPair(**answer)
        except (ValueError, TypeError):
            raise PairProcessError(self._failure("it did not say where the targets listen")) from None

    def _ready_line(self) -> bytes:
        got: list[bytes] = []
        reader = threading.Thread(target=lambda: got.append(self._process.stdout.readline()), daemon=True)
        reader.start()
        reader.join(READY_SECONDS)
        if got and got[0]:
            return got[0]
        message = self._failure("it ended before its targets listened" if got else
                                f"its targets were not listening within {READY_SECONDS:g} s")
        self.close()
        raise PairProcessError(message)

    def _failure(self, what: str) -> str:
        said = self._log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-12:]
        return (f"the embedded targets' process failed: {what}" + ("; it said:\n  " + "\n  ".join(said) if said else "")
                + f"\n(its whole output: {self._log_path})")

    def close(self) -> None:
        """Closing its stdin stops its servers; one that does not stop in time is killed."""
        try:
            self._process.stdin.close()
        except OSError:
            pass
        try:
            self._process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process.stdout.close()
        self._log.close()
        if self._process.returncode == 0 and self._own_folder:
            shutil.rmtree(self._folder, ignore_errors=True)


def serve(job: PairJob, stack: ExitStack) -> StartedPair:
    """In the targets' process: the emulator, then the merchant talking to it, then the emulator's callbacks
    pointed at the merchant (or at the URLs given for what is not started here)."""
    from support.targets.pair import Credentials, connect, start_emulator, start_merchant

    credentials = Credentials(job.api_key, job.api_secret, job.callback_secret, job.probe_token)
    emulator = start_emulator(stack, credentials, **job.emulator) if job.emulator is not None else None
    api_url = emulator.url if emulator is not None else job.api_url
    merchant = (start_merchant(stack, credentials, api_url, **job.merchant) if job.merchant is not None else None)
    callback_url = merchant.callback_url if merchant is not None else job.callback_url
    if emulator is not None:
        connect(stack, emulator, callback_url)
    return StartedPair(api_url, emulator.control_url if emulator is not None else None,
                       merchant.probe_url if merchant is not None else None, callback_url)


def main() -> int:
    """The targets' process: serves its one job until the run closes its stdin, then cleans up after itself."""
    code = _serve_until_closed()
    if OWN_FOLDER in sys.argv[1:-1]:  # a clean stop: its log held nothing worth keeping
        shutil.rmtree(sys.argv[sys.argv.index(OWN_FOLDER) + 1], ignore_errors=True)
    return code


def _serve_until_closed() -> int:
    # The run decides when the targets stop (it closes stdin): Ctrl-C reaches this process too, and must not stop
    # them under a scenario still finishing.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    importlib.import_module("support.targets.pair")  # loaded while the run collects, before the job comes
    # Its collector set as the run's own (support/plugins/collector.py says why): what is loaded lives as long as the
    # targets, and a young generation of 20,000 objects spares them hundreds of collections under the storms.
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 50)

    # The servers' own request log would only fill the log file; their errors still reach it.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    # stdout carries one line, the URLs: whatever else prints goes to the log with the errors.
    answer, sys.stdout = sys.stdout, sys.stderr
    line = sys.stdin.readline()
    if not line:
        return 0  # spawned ahead and not needed: the run closed it
    with ExitStack() as stack:
        started = serve(PairJob(**json.loads(line)), stack)
        answer.write(json.dumps(asdict(started)) + "\n")
        answer.flush()
        sys.stdin.read()  # until the run closes it (or ends): then the servers stop
    return 0


if __name__ == "__main__":
    sys.exit(main())
