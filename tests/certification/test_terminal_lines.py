"""The terminal of a certification run, as a pytest user reads it (issue 24, point 3): one line per scenario with its
example's values, a counter and an estimate, a failure's Why, Fix and failed step under it and its traceback only
with -v, one line per product not integrated, colours on a terminal (a pseudo-terminal here) unless NO_COLOR."""
from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from reporting.allure import ALLURE_BIN
from support.drivers.emulator import EmulatorControl
from support.drivers.waiting import wait_until
from support.targets.servers import ServerThread
from tests.certification.harness import ROOT, Stack, certification_stack, features_command

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not ALLURE_BIN.exists(), reason="Allure 3 is not installed in .tools/")]

# Three outline rows whose title names no value, four whose title does, and the sign-off the shipped file fails.
SELECTION = "signed or paid_in_full or kind_completed"
SCENARIOS = 8  # of them, invoices only: channels' sign-off and payouts' are not integrated
COLOURS = {"PASS": "\x1b[32m", "FAIL": "\x1b[31m"}
SGR = re.compile(r"\x1b\[[0-9;]*m")
LINE = re.compile(r"^\[\s*(\d+)/(\d+)\s+(~\S+ left|done)\] (PASS|FAIL|ENV |CONF|SKIP)  (.*)$")


@dataclass(frozen=True)
class Run:
    code: int
    output: str

    @property
    def lines(self) -> list[str]:
        return SGR.sub("", self.output).splitlines()

    def scenario_lines(self) -> list[re.Match]:
        return [m for m in map(LINE.match, self.lines) if m]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """An outside merchant (the reference one, on loopback) that integrates invoices only and kept the shipped
    sign-off file: the reference merchant's example, refused for it."""
    with certification_stack(tmp_path_factory.mktemp("terminal")) as started:
        started.env.update(GO_LIVE_SIGNOFF_FILE=str(ROOT / "signoff.yml"), CERTIFY_PRODUCTS="invoices")
        yield started


def certify(stack: Stack, workdir: Path, *args: str, terminal: bool = False, **env: str) -> Run:
    """The features as certify.sh runs them (evidence and JUnit), on a pipe or on a pseudo-terminal."""
    command, environ = features_command(stack, workdir, f"--alluredir={workdir / 'fresh'}",
                                        f"--go-live-evidence={workdir / 'reports'}", "-k", SELECTION, *args)
    for name in ("NO_COLOR", "PY_COLORS", "FORCE_COLOR"):
        environ.pop(name, None)
    environ.update(env, TERM="xterm-256color")
    if not terminal:
        done = subprocess.run(command, cwd=ROOT, env=environ, capture_output=True, text=True, timeout=240)
        return Run(done.returncode, done.stdout + done.stderr)
    return on_a_pseudo_terminal(command, environ)


def on_a_pseudo_terminal(command: list[str], environ: dict[str, str], timeout: float = 240) -> Run:
    """What a person at a terminal sees: the run's stdout and stderr are a pty (python's pty module)."""
    leader, follower = pty.openpty()
    run = subprocess.Popen(command, cwd=ROOT, env=environ, stdin=follower, stdout=follower, stderr=follower,
                           start_new_session=True)
    os.close(follower)
    received, deadline = bytearray(), time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], deadline - time.monotonic())
            if not ready:
                break
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: every writer of the terminal has closed it
                break
            if not chunk:
                break
            received += chunk
        code = run.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
        os.close(leader)
    return Run(code, received.decode("utf-8", errors="replace").replace("\r\n", "\n"))


@pytest.fixture(scope="module")
def coloured(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Run:
    return certify(stack, tmp_path_factory.mktemp("coloured"), terminal=True)


@pytest.fixture(scope="module")
def no_colour(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Run:
    return certify(stack, tmp_path_factory.mktemp("no-colour"), terminal=True, NO_COLOR="1")


def test_one_line_per_scenario_with_its_values_a_counter_and_an_estimate(no_colour: Run) -> None:
    assert no_colour.code == 1, no_colour.output[-3000:]  # NOT READY: the sign-off fails invoices item 14
    found = no_colour.scenario_lines()
    assert [int(m.group(1)) for m in found] == list(range(1, SCENARIOS + 1)), no_colour.output
    assert {int(m.group(2)) for m in found} == {SCENARIOS}
    assert all(m.group(3).endswith("left") for m in found[:-1]) and found[-1].group(3) == "done"
    titles = [m.group(5) for m in found]
    # Outline titles filled in; a title that names no value is followed by the example's values.
    for kind in ("forged", "tampered", "unsigned", "misdirected"):
        assert sum(f'A {kind} "completed" notification is refused' in t for t in titles) == 1, titles
    for price in ("price 100.00, currency EUR", "price 40.00, currency USD", "price 0.0015, currency BTC"):
        assert sum(t.endswith(f"({price})") for t in titles) == 1, titles
    assert not any("<" in t or ">" in t for t in titles), titles  # no placeholder left unfilled
    # Nothing else per scenario: no progress dots, no file names, no SKIP line for a product not integrated.
    assert "steps/test_features.py" not in no_colour.output and "SKIP" not in no_colour.output, no_colour.output
    assert no_colour.lines.count("Channels: not integrated (CERTIFY_PRODUCTS): its 2 scenarios not run") == 1
    assert no_colour.lines.count("Payouts: not integrated (CERTIFY_PRODUCTS): its 1 scenario not run") == 1


def test_a_failure_shows_its_why_fix_and_failed_step_and_no_traceback(no_colour: Run) -> None:
    lines = no_colour.lines
    failed = [n for n, line in enumerate(lines) if (m := LINE.match(line)) and m.group(4) == "FAIL"]
    assert len(failed) == 1, no_colour.output
    why, fix, step = (line.strip() for line in lines[failed[0] + 1:failed[0] + 4])
    # Point 4: the real reason on the line, not "incomplete … add each team".
    assert why.startswith("Why (configuration, invoices item 14): the go-live sign-off is not accepted: signoff.yml "
                          "is the reference merchant's example"), why
    assert fix.startswith("Fix: copy signoff.example.yml") and "GO_LIVE_SIGNOFF_FILE" in fix, fix
    assert re.fullmatch(r"Failed step: Then .+ \(features/invoices/\S+\.feature:\d+\)", step), step
    # Whole words, no Python names, no traceback, no pytest internals: those are in the evidence, and with -v.
    for noise in ("Traceback", "_pytest", "AssertionError", "support.", "FAILURES", "short test summary", "E   "):
        assert noise not in no_colour.output, (noise, no_colour.output)
    assert "re-run" not in no_colour.output  # pytest's cache is off here (-p no:cacheprovider): no --lf to offer
    assert len(lines) < 60, no_colour.output


def test_colours_on_a_terminal_and_none_with_no_color(coloured: Run, no_colour: Run) -> None:
    assert coloured.code == no_colour.code == 1, coloured.output[-3000:]
    for word, colour in COLOURS.items():
        assert re.search(rf"\] {re.escape(colour)}{word}", coloured.output), (word, coloured.output)
    assert re.search(r"Item 14  \x1b\[31mFAIL", coloured.output), coloured.output  # the verdict's rows too
    assert "\x1b[" not in no_colour.output, no_colour.output
    shown = [m.group(4, 5) for m in coloured.scenario_lines()]
    assert sorted(shown) == sorted(m.group(4, 5) for m in no_colour.scenario_lines())


def test_with_v_the_tracebacks_come_back(stack: Stack, tmp_path: Path) -> None:
    verbose = certify(stack, tmp_path, "-v")
    assert verbose.code == 1 and "FAILURES" in verbose.output and "\nE   " in verbose.output, verbose.output[-3000:]
    assert len(verbose.scenario_lines()) == SCENARIOS


def test_a_merchant_stopped_mid_run_gives_a_line_per_scenario_not_pages_of_frames(tmp_path: Path) -> None:
    """Every scenario after the first fails on the same outage: its Why and Fix are said once, then pointed to."""
    results = tmp_path / "fresh"
    with certification_stack(tmp_path) as started:
        server = ServerThread(started.merchant_app, "merchant that stops").start()
        started.env.update(MERCHANT_PROBE_URL=f"{server.url}/probe",
                           MERCHANT_CALLBACK_URL=f"{server.url}/callbacks/cryptopay")
        EmulatorControl(started.env["EMULATOR_CONTROL_URL"]).set_callback_url(started.env["MERCHANT_CALLBACK_URL"])

        def stop_after_the_first_scenario() -> None:
            wait_until(lambda: list(results.glob("*-result.json")), bool, timeout=120,
                       expected="the first scenario's result")
            server.stop()

        stopper = threading.Thread(target=stop_after_the_first_scenario, daemon=True)
        stopper.start()
        command, environ = features_command(started, tmp_path, f"--alluredir={results}",
                                            f"--go-live-evidence={tmp_path / 'reports'}", "-m",
                                            "invoices and not emulator_only")
        done = subprocess.run(command, cwd=ROOT, env=environ, capture_output=True, text=True, timeout=240)
        stopper.join(timeout=10)
    run = Run(done.returncode, done.stdout + done.stderr)
    found = run.scenario_lines()
    # A line for every scenario the selection runs (the counter's total: the invoices that need no control).
    assert run.code == 14 and found and len(found) == int(found[-1].group(2)) >= 25, run.output[-3000:]
    assert sum(m.group(4) == "ENV " for m in found) >= len(found) - 8, run.output[-3000:]
    assert sum(line.strip().startswith("Why (environment)") for line in run.lines) == 1, run.output
    assert sum("Why and Fix: as at [" in line for line in run.lines) >= 19, run.output
    assert "_pytest" not in run.output and "Traceback" not in run.output
    assert len(run.lines) < 160, len(run.lines)  # 1,465 before: frames, captured logs, a FAILED line each
