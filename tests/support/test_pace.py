"""The budget follows Cryptopay's clock: its scale and limit learnt from the emulator's control API or timed by
its Date header, and the suite's share spent per minute of that clock."""
from __future__ import annotations

from contextlib import ExitStack
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from support.targets.pace import learn_pace, measured_scale
from support.targets.pair import Credentials, start_emulator
from support.targets.request_budget import SUITE_SHARE_PERCENT, CryptopayPace, suite_per_minute
from support.targets.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2026, 12, 4, tzinfo=timezone.utc)


def ticking(seconds_per_read: float, scale: float):
    """A Date header read every `seconds_per_read` real seconds off a clock running `scale` times ours."""
    state = {"t": 0.0}

    def now() -> float:
        return state["t"]

    def read() -> datetime:
        state["t"] += seconds_per_read
        return (START + timedelta(seconds=state["t"] * scale)).replace(microsecond=0)
    return read, now


@pytest.mark.parametrize("scale", [1.0, 10.0, 60.0])
def test_the_scale_is_timed_between_two_ticks_of_the_date_header(scale: float) -> None:
    read, now = ticking(0.001, scale)
    assert measured_scale(read, now) == pytest.approx(scale, rel=0.05)


def test_a_clock_that_does_not_tick_twice_in_time_is_taken_as_real_speed() -> None:
    read, now = ticking(0.5, 0.1)
    assert measured_scale(read, now) == 1.0


def test_the_suite_spends_its_share_per_minute_of_cryptopay_s_clock() -> None:
    settings = load_settings({}, ROOT)
    assert suite_per_minute(settings, CryptopayPace(200, 60.0)) == 200 * SUITE_SHARE_PERCENT // 100
    assert suite_per_minute(settings, CryptopayPace(None, 1.0)) is None  # an emulator without a limit


def _settings(emulator_url: str, control: str | None) -> object:
    values = {"CRYPTOPAY_API_URL": emulator_url, "CRYPTOPAY_API_KEY": "k", "CRYPTOPAY_API_SECRET": "s",
              "CRYPTOPAY_CALLBACK_SECRET": "c", "CRYPTOPAY_REQUESTS_PER_MINUTE": "200"}
    if control:
        values["EMULATOR_CONTROL_URL"] = control
    return load_settings(values, ROOT)


def test_an_emulator_with_control_says_its_scale_and_limit() -> None:
    with ExitStack() as stack:
        emulator = start_emulator(stack, Credentials.fresh(), time_scale=60.0, rate_limit_per_minute=200)
        pace = learn_pace(_settings(emulator.url, emulator.control_url))
    assert (pace.per_minute, pace.scale, pace.source) == (200, 60.0, "the emulator's control API")


def test_an_emulator_without_a_limit_leaves_the_suite_unbudgeted() -> None:
    with ExitStack() as stack:
        emulator = start_emulator(stack, Credentials.fresh(), rate_limit_per_minute=0)
        pace = learn_pace(_settings(emulator.url, emulator.control_url))
    assert pace.per_minute is None


def test_an_emulator_without_control_is_timed_by_its_date_header() -> None:
    with ExitStack() as stack:
        emulator = start_emulator(stack, Credentials.fresh(), time_scale=60.0, control_enabled=False)
        pace = learn_pace(_settings(emulator.url, None))
    assert pace.source == "Cryptopay's Date header" and 30 <= pace.scale <= 120
