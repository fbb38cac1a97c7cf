"""wait_until: returns the first accepted value, says what it last saw on timeout, ends at once when waiting cannot help."""
from __future__ import annotations

import io
import time

import pytest

from support.drivers import waiting

from support.domain.payouts import WITHDRAWAL_TOO_SLOW
from support.domain.timetravel import until_cryptopay
from support.drivers.merchant import ProbeContractError
from support.drivers.waiting import Decided, WaitTimeout, final_elsewhere, wait_until


def test_returns_the_first_accepted_value() -> None:
    values = iter([1, 2, 3])
    assert wait_until(lambda: next(values), lambda v: v == 2, timeout=5, expected="two") == 2


def test_a_timeout_says_what_was_expected_and_last_seen() -> None:
    with pytest.raises(WaitTimeout, match=r"waited 0.05 s for the balance; last seen: 7"):
        wait_until(lambda: 7, lambda v: v == 8, timeout=0.05, expected="the balance")


def test_a_transient_error_is_last_seen_not_the_end() -> None:
    calls = iter([ConnectionError("refused"), 5])

    def read() -> int:
        value = next(calls)
        if isinstance(value, Exception):
            raise value
        return value

    assert wait_until(read, lambda v: v == 5, timeout=5, expected="five") == 5


def test_a_contract_violation_ends_the_wait_at_once() -> None:
    def read() -> None:
        raise ProbeContractError("probe-v1: money is a decimal string")

    started = time.monotonic()
    with pytest.raises(ProbeContractError, match="money is a decimal string"):
        wait_until(read, lambda v: True, timeout=30, expected="anything")
    assert time.monotonic() - started < 5, "the wait must not run to its timeout"


def test_a_decided_outcome_ends_the_wait_at_once_with_its_reason() -> None:
    started = time.monotonic()
    with pytest.raises(Decided, match=r"expected the balance, but it can only grow; seen: 9"):
        wait_until(lambda: 9, lambda v: v == 8, timeout=30, expected="the balance",
                   decided=lambda v: "it can only grow" if v > 8 else None)
    assert time.monotonic() - started < 5, "a decided wait must not run to its timeout"


def test_an_open_outcome_keeps_waiting_until_it_is_accepted() -> None:
    values = iter([5, 6, 7, 8])
    assert wait_until(lambda: next(values), lambda v: v == 8, timeout=5, expected="eight",
                      decided=lambda v: "too many" if v > 8 else None) == 8


def test_a_final_status_elsewhere_is_decided() -> None:
    verdict = final_elsewhere("refunded", frozenset({"completed", "refunded"}), lambda record: record["status"])
    assert verdict({"status": "completed"}) == "it is already completed, which is final"
    assert verdict({"status": "unresolved"}) is None and verdict({"status": "refunded"}) is None


def test_a_long_wait_counts_down_with_what_it_waits_for_and_last_saw_made_printable(monkeypatch) -> None:
    monkeypatch.setattr(waiting, "COUNTDOWN_AFTER_SECONDS", 0.05)
    out = io.StringIO()
    waiting.count_down_to(out)
    try:
        values = iter(["\x1b[2Jcleared"] * 30 + ["done"])
        wait_until(lambda: next(values), lambda v: v == "done", timeout=5, expected="the merchant's record",
                   interval=0.01, max_interval=0.01)
    finally:
        waiting.count_down_to(None)
    lines = out.getvalue().splitlines()
    assert lines and all("s for the merchant's record; last seen: \\x1b[2Jcleared" in line for line in lines), lines
    assert "\x1b" not in out.getvalue()


def test_a_wait_whose_caller_shows_its_own_progress_stays_quiet(monkeypatch) -> None:
    monkeypatch.setattr(waiting, "COUNTDOWN_AFTER_SECONDS", 0.01)
    out = io.StringIO()
    waiting.count_down_to(out)
    try:
        with pytest.raises(WaitTimeout):
            wait_until(lambda: 1, lambda v: v == 2, timeout=0.2, expected="two", counts_down=False)
    finally:
        waiting.count_down_to(None)
    assert out.getvalue() == ""


def test_without_control_cryptopay_too_slow_is_the_environment_with_the_setting_to_change() -> None:
    with pytest.raises(waiting.EnvironmentFailure) as failure:
        until_cryptopay(lambda: {"status": "sent"}, lambda w: w["status"] == "completed", control=None,
                        object_id="cw-1", timeout=0.05, expected="coin withdrawal cw-1 completed",
                        too_slow=WITHDRAWAL_TOO_SLOW)
    assert failure.value.why.startswith("waited 0.05 s for coin withdrawal cw-1 completed; last seen: ")
    assert "Cryptopay's own steps" in failure.value.why and "WAIT_TIMEOUT_SECONDS" in failure.value.fix
