"""Lets invoice time pass: the emulator's clock is advanced; against the real sandbox the suite waits for real."""
from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone

from support.drivers.emulator import EmulatorControl
from support.waiting import Pace, wait_until

# The Date header is in whole seconds, so a reading can be up to this much behind Cryptopay's real clock.
DATE_RESOLUTION = 1.0


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def let_time_pass_until(moment: datetime, control: EmulatorControl | None, timeout: float,
                        what: str, out=sys.stderr, server_now=None) -> None:
    """Moves Cryptopay's notion of 'now' past `moment` (plus a second of margin)."""
    if control is not None:
        now = parse_time(control.clock()["now"])
        if now <= moment:
            control.advance_clock((moment - now).total_seconds() + 1)
        return
    target = moment + timedelta(seconds=2)
    if server_now is not None:  # Cryptopay's own clock: right for the sandbox and for a time-scaled emulator
        print(f"waiting until Cryptopay's clock passes {what}", file=out, flush=True)
        start = server_now()
        wait_until(server_now, lambda now: now >= target, timeout=timeout, expected=f"Cryptopay's clock: {what}",
                   pace=clock_pace(start, target))
        return
    remaining = (target - datetime.now(timezone.utc)).total_seconds()
    if remaining > timeout:
        raise AssertionError(f"{what} is {remaining:.0f} s away, more than the wait limit of {timeout:g} s "
                             "(raise WAIT_TIMEOUT_SECONDS for real-mode runs)")
    print(f"waiting {remaining:.0f} s until {what}", file=out, flush=True)
    wait_until(lambda: datetime.now(timezone.utc), lambda now: now >= target, timeout=max(remaining, 0) + 5,
               expected=what, interval=0.5, max_interval=5.0)


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
