"""Pacing within the request budget: fair-share floors, slowing waits, a rarely read clock, the bucket's lifecycle."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest

from cryptopay_client import Unlimited
from support.domain.timetravel import clock_pace
from support.drivers.waiting import backoff, proportional
from support.plugins import run_budget as budget
from support.plugins.keys import SETTINGS_KEY
from support.targets.request_budget import SUITE_SHARE_PERCENT, RunBudget, current
from support.targets.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)


class Budget:
    def __init__(self, per_minute: int, minute_seconds: float = 60.0):
        self.per_minute, self.minute_seconds = per_minute, minute_seconds


def test_backoff_starts_quick_and_levels_off() -> None:
    pace = backoff(0.05, 2.0)
    assert [round(pace(n, 0, None), 4) for n in (1, 2, 3)] == [0.05, 0.075, 0.1125] and pace(40, 0, None) == 2.0


def test_a_proportional_wait_never_beats_its_floor_and_slows_with_the_time_waited() -> None:
    pace = proportional(floor=4.0, share=0.25, most=60.0)
    assert pace(1, 0.5, None) == 4.0 and pace(9, 100.0, None) == 25.0 and pace(30, 1000.0, None) == 60.0


def test_a_long_wait_costs_few_reads() -> None:
    pace, waited, reads = proportional(floor=0.5), 0.0, 0
    while waited < 600:  # a 10-minute testnet confirmation
        reads += 1
        waited += pace(reads, waited, None)
    assert reads < 40


def test_polls_leave_half_the_budget_to_the_requests_that_make_progress() -> None:
    eight = RunBudget(Budget(120), workers=8)
    assert eight.fair_share_seconds() == 4.0 and eight.poll_pace(10.0)(1, 0.0, None) == 8.0
    assert RunBudget(Budget(120), workers=1).poll_pace(10.0)(1, 0.0, None) == 1.0


def test_without_a_budget_waits_poll_as_quickly_as_before() -> None:
    assert RunBudget(Unlimited(), workers=8).poll_pace(2.0)(1, 0.0, None) == 0.05


def _reads_until(target: datetime, scale: float) -> tuple[int, float]:
    """Simulates Cryptopay's clock at `scale` with whole-second Date headers; (reads, real seconds waited)."""
    pace, waited, reads = clock_pace(START, target), 0.0, 0
    while True:
        reads += 1
        seen = START + timedelta(seconds=int(waited * scale))
        if seen >= target:
            return reads, waited
        waited += pace(reads, waited, seen)


def test_a_10_minute_expiry_on_the_sandbox_costs_a_few_dozen_reads_and_is_seen_at_once() -> None:
    reads, waited = _reads_until(START + timedelta(minutes=10), scale=1)
    assert reads <= 30 and 600 <= waited <= 602


def test_a_scaled_emulator_clock_is_learnt_so_its_expiry_is_not_overslept() -> None:
    reads, waited = _reads_until(START + timedelta(minutes=10), scale=60)
    assert reads <= 30 and 10 <= waited <= 11


def _config(settings, workerinput: dict | None = None):
    config = SimpleNamespace(stash=pytest.Stash(), option=SimpleNamespace())  # a run, not a listing
    config.stash[SETTINGS_KEY] = settings
    if workerinput is not None:
        config.workerinput = workerinput
    return config


def test_the_controller_makes_the_runs_bucket_hands_it_to_workers_and_removes_it(tmp_path: Path) -> None:
    settings = load_settings({"CRYPTOPAY_API_URL": "http://127.0.0.1:9", "CRYPTOPAY_API_KEY": "k",
                              "CRYPTOPAY_API_SECRET": "s", "CRYPTOPAY_CALLBACK_SECRET": "c",
                              "CRYPTOPAY_REQUESTS_PER_MINUTE": "100"}, ROOT)
    controller = _config(settings)
    budget.pytest_configure(controller)
    node = SimpleNamespace(config=controller, workerinput={})
    budget.pytest_configure_node(node)
    directory = Path(node.workerinput[budget.BUDGET_DIR])
    assert directory.is_dir() and oct(directory.stat().st_mode)[-3:] == "700"
    assert current().budget.per_minute == 100 * SUITE_SHARE_PERCENT // 100  # the rest is the merchant's
    worker = _config(settings, {**node.workerinput, "workercount": 4})
    budget.pytest_configure(worker)
    assert current().workers == 4 and current().budget.path.parent == directory
    budget.pytest_unconfigure(worker)
    assert directory.is_dir(), "a worker never deletes what the controller owns"
    budget.pytest_unconfigure(controller)
    assert not directory.exists() and current().budget.per_minute is None


def test_the_embedded_emulator_gets_no_budget() -> None:
    config = _config(load_settings({}, ROOT))
    budget.pytest_configure(config)
    node = SimpleNamespace(config=config, workerinput={})
    budget.pytest_configure_node(node)
    assert node.workerinput == {} and current().budget.per_minute is None


def test_a_killed_runs_bucket_is_removed_by_the_next_run_and_a_live_ones_is_kept(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    killed = tmp_path / f"{budget.PREFIX}{dead.stdout.strip()}-abc"
    live = tmp_path / f"{budget.PREFIX}{os.getpid()}-def"
    killed.mkdir(), live.mkdir()
    budget.remove_budgets_of_dead_runs(tmp_path)
    assert not killed.exists() and live.exists()
