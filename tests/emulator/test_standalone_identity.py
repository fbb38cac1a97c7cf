"""The standalone emulator as stripe-mock users expect it: a fixed default port, secrets that survive a restart, the
.env lines for the suite and the merchant, and /health whether or not the control API is on."""
from __future__ import annotations

import io
import json
import os
import select
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
import requests
from dotenv import dotenv_values

from cryptopay_client import CryptopayClient
from cryptopay_emulator import __main__ as standalone
from cryptopay_emulator.state import Identity, StateError, env_lines, resolve

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 30
SUITE_AND_MERCHANT_KEYS = {"CRYPTOPAY_API_URL", "CRYPTOPAY_API_KEY", "CRYPTOPAY_API_SECRET",
                           "CRYPTOPAY_CALLBACK_SECRET", "MERCHANT_PROBE_TOKEN"}


def run(*options: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cryptopay_emulator", *options], cwd=ROOT, capture_output=True,
                          text=True, timeout=STARTUP_SECONDS, env=env)


@contextmanager
def serving(*options: str, env: dict[str, str] | None = None) -> Iterator[tuple[dict, list[str]]]:
    """A standalone emulator: its JSON line, and its banner up to "Ctrl-C stops it."; stopped afterwards."""
    process = subprocess.Popen([sys.executable, "-m", "cryptopay_emulator", *options], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        ready, _, _ = select.select([process.stdout], [], [], STARTUP_SECONDS)
        assert ready, "the emulator printed nothing"
        info = json.loads(process.stdout.readline())
        yield info, banner_of(process)
    finally:
        process.terminate()
        process.wait(timeout=15)
        process.stdout.close()
        process.stderr.close()


def banner_of(process: subprocess.Popen) -> list[str]:
    """What it printed on stderr up to its banner's last line, read straight from the pipe."""
    seen = b""
    while b"Ctrl-C stops it." not in seen:
        ready, _, _ = select.select([process.stderr], [], [], STARTUP_SECONDS)
        chunk = os.read(process.stderr.fileno(), 65536) if ready else b""
        assert chunk, f"the banner stopped after {seen!r}"
        seen += chunk
    return seen.decode().splitlines()


# -- 8: /health with and without the control API; the banner without it ------------------------------------------
def test_health_answers_with_and_without_the_control_api(live) -> None:
    with_control, without = live(), live(control_enabled=False)
    for emulator, control in ((with_control, True), (without, False)):
        answer = requests.get(f"{emulator.url}/health", timeout=10)
        assert answer.status_code == 200 and answer.json()["ok"] is True and answer.json()["control"] is control
    assert requests.get(f"{without.url}/_emulator/health", timeout=10).status_code == 404  # the control API is off


def test_the_banner_without_control_says_so_instead_of_printing_none() -> None:
    with serving("--port=0", "--no-control") as (info, banner):
        assert info["control_url"] is None and requests.get(info["health_url"], timeout=10).json()["control"] is False
    text = "\n".join(banner)
    assert "None" not in text, text
    assert any(line.split() == ["control", "off", "(--no-control)"] for line in banner), text


# -- 7: a fixed default port, secrets kept across restarts, the .env lines ------------------------------------------
def test_the_default_port_is_fixed_and_documented() -> None:
    assert standalone.parse_args([]).port == 12112 and standalone.parse_args(["--port=0"]).port == 0
    readme = (ROOT / "cryptopay_emulator" / "README.md").read_text(encoding="utf-8")
    assert "12112" in readme and "stripe-mock" in readme


def test_a_restart_with_the_same_state_file_keeps_the_secrets_and_port_0_without_one_does_not(tmp_path: Path) -> None:
    state = f"--state-file={tmp_path / 'state.json'}"
    with serving("--port=0", state) as (first, _):
        pass
    with serving("--port=0", state) as (again, banner):
        signed = CryptopayClient(again["api_url"], again["api_key"], first["api_secret"])
        assert signed.list_invoices()["data"] == []  # the first start's secret signs for the second
    assert (again["api_key"], again["callback_secret"]) == (first["api_key"], first["callback_secret"])
    assert f"  secrets            kept in {tmp_path / 'state.json'}" in banner
    assert oct((tmp_path / "state.json").stat().st_mode & 0o777) == "0o600"
    with serving("--port=0") as (throwaway, _), serving("--port=0") as (other, _):
        assert throwaway["api_secret"] != other["api_secret"]  # a port the OS picks keeps nothing unless told


def test_new_secrets_replace_the_kept_ones_and_chosen_ones_are_never_written(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    kept = resolve({}, ("api_key", "api_secret", "callback_secret"), state)
    assert resolve({}, ("api_key", "api_secret", "callback_secret"), state).values == kept.values
    renewed = resolve({}, ("api_key", "api_secret", "callback_secret"), state, renew=True)
    assert renewed["api_secret"] != kept["api_secret"]
    assert json.loads(state.read_text())["api_secret"] == renewed["api_secret"]
    chosen = resolve({"api_secret": "chosen-by-the-operator"}, ("api_key", "api_secret", "callback_secret"),
                     tmp_path / "other.json")
    assert chosen["api_secret"] == "chosen-by-the-operator" and chosen.chosen == {"api_secret"}
    assert "chosen-by-the-operator" not in (tmp_path / "other.json").read_text()


def test_print_env_prints_the_lines_the_next_start_answers_to(tmp_path: Path) -> None:
    state = f"--state-file={tmp_path / 'state.json'}"
    printed = run("--print-env", state, "--merchant-url=http://127.0.0.1:8000")
    assert printed.returncode == 0, printed.stderr
    assert run("--print-env", state, "--merchant-url=http://127.0.0.1:8000").stdout == printed.stdout
    lines = dotenv_values(stream=io.StringIO(printed.stdout))
    assert SUITE_AND_MERCHANT_KEYS <= set(lines)
    assert lines["CRYPTOPAY_API_URL"] == "http://127.0.0.1:12112"
    assert lines["EMULATOR_CONTROL_URL"] == "http://127.0.0.1:12112/_emulator"
    assert lines["MERCHANT_CALLBACK_URL"] == "http://127.0.0.1:8000/callbacks/cryptopay"
    assert lines["MERCHANT_PROBE_URL"] == "http://127.0.0.1:8000/probe"
    assert lines["CRYPTOPAY_REQUESTS_PER_MINUTE"] == "200"  # the emulator's limit, which the suite then keeps to
    with serving("--port=0", state) as (started, _):
        assert (started["api_key"], started["api_secret"]) == (lines["CRYPTOPAY_API_KEY"],
                                                               lines["CRYPTOPAY_API_SECRET"])
    without_control = dotenv_values(stream=io.StringIO(run("--print-env", state, "--no-control").stdout))
    assert "EMULATOR_CONTROL_URL" not in without_control


def test_print_env_refuses_what_no_start_could_answer_to(tmp_path: Path) -> None:
    on_any_port = run("--print-env", "--port=0", f"--state-file={tmp_path / 'state.json'}")
    assert on_any_port.returncode == 2 and "--env-file PATH" in on_any_port.stderr
    kept_nowhere = run("--print-env", "--no-state-file")
    assert kept_nowhere.returncode == 2 and "state file" in kept_nowhere.stderr
    assert not on_any_port.stdout and not kept_nowhere.stdout


def test_env_file_is_written_with_the_port_the_os_picked_before_the_ready_line(tmp_path: Path) -> None:
    env_file = tmp_path / "emulator.env"
    with serving("--port=0", f"--env-file={env_file}", "--rate-limit=0") as (info, banner):
        lines = dotenv_values(env_file)
        assert lines["CRYPTOPAY_API_URL"] == info["api_url"] and lines["CRYPTOPAY_API_KEY"] == info["api_key"]
        assert lines["CRYPTOPAY_API_SECRET"] == info["api_secret"]
        assert lines["EMULATOR_CONTROL_URL"] == info["control_url"]
        assert lines["CRYPTOPAY_REQUESTS_PER_MINUTE"] == "100000"  # no limit here: the suite's budget out of the way
    assert oct(env_file.stat().st_mode & 0o777) == "0o600" and f"  .env lines in      {env_file}" in banner


def test_chosen_secrets_of_any_shape_read_back_unchanged_from_the_env_lines() -> None:
    nasty = {"api_key": "key with spaces #not-a-comment", "api_secret": "it's \"quoted\" $HOME \\n \\' \\\\",
             "callback_secret": "multi\nline 'single' = value", "probe_token": "plain-token_1.2"}
    lines = env_lines("http://127.0.0.1:1", Identity(nasty, frozenset(nasty)), True, 200, None, None)
    read = dotenv_values(stream=io.StringIO(lines))
    assert [read[f"CRYPTOPAY_{n.upper()}"] for n in ("api_key", "api_secret", "callback_secret")] == [
        nasty["api_key"], nasty["api_secret"], nasty["callback_secret"]]
    assert read["MERCHANT_PROBE_TOKEN"] == nasty["probe_token"]
    unwritable = {**nasty, "api_secret": "${EXPANDED} however it is quoted"}
    with pytest.raises(StateError, match="cannot be written to a .env file"):
        env_lines("http://127.0.0.1:1", Identity(unwritable, frozenset(unwritable)), True, 200, None, None)
