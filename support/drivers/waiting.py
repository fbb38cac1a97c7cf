"""The one way the suite waits: poll a condition until it holds, and on timeout say what was expected and seen."""
from __future__ import annotations

import time
from typing import Callable, TextIO, TypeVar

from reporting.inert import printable

T = TypeVar("T")
# How long until the next read, from (reads so far, seconds waited so far, the value last read).
Pace = Callable[[int, float, object], float]


# A wait longer than this says on the terminal, every as many seconds, what it waits for and until when.
COUNTDOWN_AFTER_SECONDS = 5.0
# Where long waits say so: the terminal past pytest's capture, set once per process by the run's fixtures (None: quiet,
# as in the project's own tests of waiting).
_countdown: list[TextIO] = []


def count_down_to(out: TextIO | None) -> None:
    """Long waits from now on print their countdown to `out` (None: to nowhere)."""
    _countdown[:] = [out] if out is not None else []


class WaitTimeout(AssertionError):
    pass


class EnvironmentFailure(AssertionError):
    """The scenario could not prove anything about the merchant: the suite, the machine or a target's own delays
    got in the way. Its message says why and, after "Fix: ", what to change; the verdict files it as environment."""

    def __init__(self, why: str, fix: str):
        super().__init__(f"{why}\nFix: {fix}")
        self.why, self.fix = why, fix


class WaitingCannotHelp(Exception):
    """Raised by a read whose answer no amount of waiting changes (e.g. a probe contract violation): the wait
    ends at once with that reason instead of reporting it as "last seen" after the whole timeout."""


def backoff(first: float = 0.01, most: float = 0.25, factor: float = 1.5) -> Pace:
    """Quick first reads, then ever slower up to `most`: cheap for local targets that answer in milliseconds."""
    return lambda reads, waited, last: min(first * factor ** max(reads - 1, 0), most)


def proportional(floor: float, share: float = 0.25, most: float = 60.0) -> Pace:
    """Never faster than `floor` (what a request budget allows), and never more than `share` of the time already
    waited, so a change is seen at most that share late, and a 10-minute wait costs a few dozen reads, not hundreds."""
    return lambda reads, waited, last: min(most, max(floor, share * waited))


class Decided(WaitTimeout):
    """What was seen can no longer become what was expected (credited twice, a final status that is not the one
    expected): the wait ends at once with it, instead of running to its timeout."""


# Given the value just read, why it can never become acceptable now, or None while the outcome is still open.
Verdict = Callable[[T], "str | None"]


def final_elsewhere(wanted: str, final: frozenset[str], status_of: Callable[[T], "str | None"]) -> Verdict:
    """A record already in a final status other than the one wanted never gets there: Cryptopay's final statuses
    (completed, refunded, cancelled) do not change."""
    def verdict(value: T) -> str | None:
        status = status_of(value)
        if status in final and status != wanted:
            return f"it is already {status}, which is final"
        return None
    return verdict


def answered_but_not(wanted: str, settled: Callable[[], bool] | None,
                     status_of: Callable[[T], "str | None"]) -> Verdict:
    """Once the merchant has answered every notification it was sent (`settled`), a record still not `wanted`
    stays so: nothing more will reach it."""
    def verdict(value: T) -> str | None:
        status = status_of(value)
        if settled is not None and status != wanted and settled():
            return f"the merchant answered every notification it was sent and records {status or 'nothing'}"
        return None
    return verdict


def either(*verdicts: Verdict) -> Verdict:
    """The first reason any of `verdicts` gives."""
    return lambda value: next((reason for v in verdicts if (reason := v(value))), None)


def wait_until(read: Callable[[], T], accept: Callable[[T], bool], *, timeout: float, expected: str,
               interval: float = 0.01, max_interval: float = 0.25, pace: Pace | None = None,
               decided: Verdict | None = None, counts_down: bool = True) -> T:
    """Returns the first value `accept`s. Reads are spaced by `pace` (default: back off from `interval` to
    `max_interval`), so long real-mode waits stay cheap. `decided` ends the wait at once, either way: a value it
    finds hopeless fails with its reason and the value, without waiting out the timeout. A wait longer than a few
    seconds counts down on the terminal, unless its caller shows a progress of its own (`counts_down=False`)."""
    pace = pace or backoff(interval, max_interval)
    started = time.monotonic()
    deadline = started + timeout
    last: object = "<nothing read yet>"
    reads, shown = 0, 0.0
    while True:
        try:
            reads += 1
            last = read()
            if accept(last):
                return last
            reason = decided(last) if decided is not None else None
            if reason:
                raise Decided(f"expected {expected}, but {reason}; seen: {last}")
        except (WaitTimeout, WaitingCannotHelp):
            raise
        except Exception as exc:  # a target briefly unavailable is "last seen", not the end of the wait
            last = f"{type(exc).__name__}: {exc}"
        now = time.monotonic()
        if now >= deadline:
            raise WaitTimeout(f"waited {timeout:g} s for {expected}; last seen: {last}")
        if counts_down:
            shown = say_still_waiting(now - started, shown, timeout, expected, last)
        time.sleep(min(max(pace(reads, now - started, last), 0.0), deadline - now))


def say_still_waiting(waited: float, shown: float, timeout: float, expected: str, last: object) -> float:
    """Every few seconds of a long wait, one line: how long so far, until when, for what, and what it last saw (the
    merchant's words made printable and cut short). Returns when it last spoke."""
    if not _countdown or waited < COUNTDOWN_AFTER_SECONDS or waited - shown < COUNTDOWN_AFTER_SECONDS:
        return shown
    seen = printable(str(last))
    seen = seen if len(seen) <= 100 else seen[:100] + "…"
    _countdown[0].write(f"  … waiting {waited:.0f} of {timeout:.0f} s for {printable(expected)}; last seen: {seen}\n")
    _countdown[0].flush()
    return waited
