"""The targets the suite starts run in a process of their own: they answer at the URLs it says, get their secrets
only on stdin, stop when the run closes them or dies, and a start that fails says why."""
from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from support.targets.pair import Credentials
from support.targets.pair_process import PairJob, PairProcess, PairProcessError

ROOT = Path(__file__).resolve().parents[2]


def _job(tmp_path: Path, credentials: Credentials, **emulator: object) -> PairJob:
    return PairJob(credentials.api_key, credentials.api_secret, credentials.callback_secret, credentials.probe_token,
                   emulator={"rate_limit_per_minute": 0, **emulator},
                   merchant={"database_url": f"sqlite:///{tmp_path / 'merchant.sqlite3'}"})


def _refused(url: str) -> bool:
    try:
        requests.get(url, timeout=2)
    except requests.ConnectionError:
        return True
    return False


def _pid_of(process: PairProcess) -> int:
    return process._process.pid  # noqa: SLF001 - the test checks the real process


def test_the_targets_answer_where_the_process_says_and_stop_when_it_is_closed(tmp_path: Path) -> None:
    credentials = Credentials.fresh()
    process = PairProcess(tmp_path)
    started = process.start(_job(tmp_path, credentials))
    try:
        assert requests.get(f"{started.api_url}/health", timeout=5).status_code == 200
        assert requests.get(started.probe_url.removesuffix("/probe") + "/health", timeout=5).status_code == 200
        assert started.control_url == f"{started.api_url}/_emulator"
        assert started.callback_url.endswith("/callbacks/cryptopay")
        # Its secrets came on stdin: nothing of them on its command line or in its environment.
        pid = _pid_of(process)
        seen = Path(f"/proc/{pid}/cmdline").read_bytes() + Path(f"/proc/{pid}/environ").read_bytes()
        assert not any(secret.encode() in seen for secret in credentials.values())
        assert not any(secret in repr(_job(tmp_path, credentials)) for secret in credentials.values())
    finally:
        process.close()
    assert _refused(f"{started.api_url}/health") and _refused(started.probe_url)


def test_a_run_that_dies_takes_its_targets_with_it(tmp_path: Path) -> None:
    """The run's end, however it comes, closes the targets' stdin: they stop instead of listening on for ever, and
    the process removes its own temporary folder though the run never closed it."""
    job = json.dumps(_job(tmp_path, Credentials.fresh()).__dict__)
    run = subprocess.Popen(
        [sys.executable, "-c", "import sys, json; from support.targets.pair_process import PairProcess, PairJob;"
         "p = PairProcess(); s = p.start(PairJob(**json.loads(sys.argv[1])));"
         " print(s.api_url, p._process.pid, p._folder, flush=True); sys.stdin.read()", job],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    api_url, pid, folder = run.stdout.readline().split()
    assert Path(folder, "targets.log").is_file()
    assert requests.get(f"{api_url}/health", timeout=5).status_code == 200
    targets = os.pidfd_open(int(pid))  # becomes readable when that process ends
    try:
        run.send_signal(signal.SIGKILL)
        run.wait()
        ended, _, _ = select.select([targets], [], [], 15)
    finally:
        os.close(targets)
    assert ended, "the targets' process outlived the run that started it"
    assert _refused(f"{api_url}/health")
    assert not Path(folder).exists()


def test_a_start_that_fails_says_what_the_targets_process_said(tmp_path: Path) -> None:
    process = PairProcess(tmp_path)
    with pytest.raises(PairProcessError) as caught:
        process.start(_job(tmp_path, Credentials.fresh(), no_such_option=True))
    process.close()
    assert "the embedded targets' process failed" in str(caught.value)
    assert "no_such_option" in str(caught.value)


def test_a_process_spawned_ahead_and_not_needed_ends_when_closed(tmp_path: Path) -> None:
    process = PairProcess(tmp_path)
    process.close()
    assert process._process.returncode == 0  # noqa: SLF001 - it ended by itself, not killed


def test_ctrl_c_leaves_the_targets_to_the_run(tmp_path: Path) -> None:
    """Ctrl-C reaches the whole process group; the targets keep serving until the run, finishing its scenario,
    closes them."""
    process = PairProcess(tmp_path)
    started = process.start(_job(tmp_path, Credentials.fresh()))
    try:
        os.kill(_pid_of(process), signal.SIGINT)
        assert requests.get(f"{started.api_url}/health", timeout=5).status_code == 200
    finally:
        process.close()
    assert process._process.returncode == 0  # noqa: SLF001
