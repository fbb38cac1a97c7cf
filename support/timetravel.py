"""Lets invoice time pass: the emulator's clock is advanced; against the real sandbox the suite waits for real."""
from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone

from support.drivers.emulator import EmulatorControl
from support.waiting import wait_until


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
        wait_until(server_now, lambda now: now >= target, timeout=timeout, expected=f"Cryptopay's clock: {what}",
                   interval=0.05, max_interval=0.5)
        return
    remaining = (target - datetime.now(timezone.utc)).total_seconds()
    if remaining > timeout:
        raise AssertionError(f"{what} is {remaining:.0f} s away, more than the wait limit of {timeout:g} s "
                             "(raise WAIT_TIMEOUT_SECONDS for real-mode runs)")
    print(f"waiting {remaining:.0f} s until {what}", file=out, flush=True)
    wait_until(lambda: datetime.now(timezone.utc), lambda now: now >= target, timeout=max(remaining, 0) + 5,
               expected=what, interval=0.5, max_interval=5.0)
