"""The one way the suite waits: poll a condition until it holds, and on timeout say what was expected and seen."""
from __future__ import annotations

import time
from typing import Callable, TypeVar

T = TypeVar("T")


class WaitTimeout(AssertionError):
    pass


class WaitingCannotHelp(Exception):
    """Raised by a read whose answer no amount of waiting changes (e.g. a probe contract violation): the wait
    ends at once with that reason instead of reporting it as "last seen" after the whole timeout."""


def wait_until(read: Callable[[], T], accept: Callable[[T], bool], *, timeout: float, expected: str,
               interval: float = 0.01, max_interval: float = 0.25) -> T:
    """Returns the first value `accept`s; the poll interval backs off so long real-mode waits stay cheap."""
    deadline = time.monotonic() + timeout
    last: object = "<nothing read yet>"
    while True:
        try:
            last = read()
            if accept(last):
                return last
        except (WaitTimeout, WaitingCannotHelp):
            raise
        except Exception as exc:  # a target briefly unavailable is "last seen", not the end of the wait
            last = f"{type(exc).__name__}: {exc}"
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise WaitTimeout(f"waited {timeout:g} s for {expected}; last seen: {last}")
        time.sleep(min(interval, remaining))
        interval = min(interval * 1.5, max_interval)
