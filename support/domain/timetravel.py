"""Cryptopay's time for a scenario: moved on per object where the emulator's control API is there, waited for (with
a countdown) where it is not. The one place the suite lets Cryptopay's time pass."""
from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone
from typing import Callable, TextIO, TypeVar

from support.drivers.emulator import EmulatorControl
from support.drivers.operator import Progress
from support.drivers.waiting import COUNTDOWN_AFTER_SECONDS, EnvironmentFailure, Pace, WaitTimeout, wait_until

T = TypeVar("T")
# The Date header is in whole seconds, so a reading can be up to this much behind Cryptopay's real clock.
DATE_RESOLUTION = 1.0
# Moving an object on one deadline at a time: more steps than any lifecycle has means it never gets there.
MAX_MOVES = 50


class NeverHappens(AssertionError):
    """What the scenario waits for can no longer happen at Cryptopay: nothing is ahead of the object."""


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def let_time_pass_until(moment: datetime, control: EmulatorControl | None, timeout: float, what: str,
                        out: TextIO = sys.stderr, server_now: Callable[[], datetime] | None = None,
                        object_id: str | None = None) -> None:
    """Cryptopay's notion of 'now' for the object moves past `moment` (plus a second): with the control API the
    object's own time is moved there at once (its past moves back, so nothing it shows lies in the future);
    without it the suite waits on Cryptopay's clock, with a countdown."""
    if control is not None and object_id is not None:
        control.advance(object_id, until=moment + timedelta(seconds=1))
        return
    target = moment + timedelta(seconds=2)
    if server_now is not None:  # Cryptopay's own clock: right for the sandbox and for a time-scaled emulator
        start = server_now()
        wait_until(counted(server_now, Progress(out, f"Cryptopay's clock to pass {what}", timeout,
                                                        every=COUNTDOWN_AFTER_SECONDS),
                           lambda now: f"Cryptopay's clock shows {now:%H:%M:%S}, waiting until {target:%H:%M:%S} "
                                       "UTC"),
                   lambda now: now >= target, timeout=timeout, expected=f"Cryptopay's clock: {what}",
                   pace=clock_pace(start, target), counts_down=False)
        return
    remaining = (target - datetime.now(timezone.utc)).total_seconds()
    if remaining > timeout:
        raise AssertionError(f"{what} is {remaining:.0f} s away, more than the wait limit of {timeout:g} s "
                             "(raise WAIT_TIMEOUT_SECONDS for real-mode runs)")
    progress = Progress(out, what, remaining, every=COUNTDOWN_AFTER_SECONDS)
    progress.say(f"waiting {remaining:.0f} s until {what}")
    wait_until(counted(lambda: datetime.now(timezone.utc), progress, lambda now: f"until {target:%H:%M:%S} UTC"),
               lambda now: now >= target, timeout=max(remaining, 0) + 5, expected=what, interval=0.5,
               max_interval=5.0, counts_down=False)


def counted(read: Callable[[], T], progress: Progress, describe: Callable[[T], str]) -> Callable[[], T]:
    """`read`, with a line on the terminal every few seconds while the wait goes on."""
    def reading() -> T:
        value = read()
        progress.tick(describe(value))
        return value
    return reading


def until_cryptopay(read: Callable[[], T], accept: Callable[[T], bool], *, control: EmulatorControl | None,
                    object_id: str, timeout: float, expected: str, pace: Pace | None = None,
                    too_slow: tuple[str, str] | None = None) -> T:
    """Until what Cryptopay reports about `object_id` is accepted. With the control API the object is moved on
    deadline by deadline (a withdrawal's steps, a payment's detection, a retry) and read after each: no waiting,
    and a scenario ends at once with what it saw when nothing is ahead of the object any more. Without it the
    suite waits for Cryptopay, paced by the request budget; a timeout there is Cryptopay's pace, not the merchant's
    doing: with `too_slow` (why, fix) it is an environment failure saying why and which setting to change."""
    if control is None:
        try:
            return wait_until(read, accept, timeout=timeout, expected=expected, pace=pace)
        except WaitTimeout as exc:
            if too_slow is None:
                raise
            raise EnvironmentFailure(f"{exc}; {too_slow[0]}", too_slow[1]) from None
    seen = read()
    for _ in range(MAX_MOVES):
        if accept(seen):
            return seen
        moved = control.advance(object_id)
        seen = read()
        if not moved["deadlines_pending"] and not moved["deadlines_run"] and not accept(seen):
            raise NeverHappens(f"expected {expected}, but nothing more happens to {object_id} at Cryptopay: it "
                               f"stays {describe(seen)}")
    if accept(seen):
        return seen
    raise NeverHappens(f"expected {expected}; after {MAX_MOVES} of its deadlines {object_id} is {describe(seen)}")


def describe(value: object) -> str:
    if isinstance(value, dict) and "status" in value:
        return f"{value['status']}" + (f"/{value['status_context']}" if value.get("status_context") else "")
    return repr(value)


def clock_pace(start: datetime, target: datetime, most: float = 60.0) -> Pace:
    """Reads Cryptopay's clock rarely: learns how fast it runs against ours (1x on the sandbox, faster on a scaled
    emulator) from the readings so far, then sleeps through 90 % of what is left (a minute at most), so a 10-minute
    expiry costs about twenty reads instead of a thousand and is still seen within a second of passing."""
    def pace(reads: int, waited: float, last: object) -> float:
        if not isinstance(last, datetime):
            return 0.5  # an unreadable answer: try again soon
        moved = (last - start).total_seconds()
        if waited < 1.0 or moved < 2 * DATE_RESOLUTION:
            return 0.5  # too soon to tell how fast Cryptopay's clock runs
        fastest = (moved + DATE_RESOLUTION) / waited  # the rate, rounded up: better a read early than a wait late
        return min(most, max(0.2, 0.9 * (target - last).total_seconds() / fastest))
    return pace
