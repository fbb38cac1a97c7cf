"""Learns, once a run, how fast Cryptopay's clock runs and what it allows a minute, so the budget follows that clock."""
from __future__ import annotations

import time
from datetime import datetime
from typing import Callable
from urllib.parse import urlsplit

import requests

from cryptopay_client import TransportError
from support.drivers.cryptopay import server_date
from support.drivers.emulator import ControlError, EmulatorControl
from support.targets.request_budget import CryptopayPace
from support.targets.settings import Settings, is_loopback

# Reading Cryptopay's Date header until it has ticked twice takes one to two seconds on a clock at real speed.
MEASURE_SECONDS = 3.0


def learn_pace(settings: Settings) -> CryptopayPace:
    """The sandbox runs at real speed with the limit .env states. An emulator with its control API says its
    scale and limit; one without it on loopback is timed by its Date header (a scaled clock ticks faster)."""
    if settings.embedded_emulator or not is_loopback(urlsplit(settings.cryptopay_api_url).hostname):
        return CryptopayPace(settings.requests_per_minute)
    try:
        return _ask_the_emulator(settings)
    except (requests.RequestException, TransportError, ControlError, KeyError, TypeError, ValueError) as exc:
        # Unreachable now: the preflight names it; the budget falls back to what .env states.
        return CryptopayPace(settings.requests_per_minute, 1.0, f"settings (the emulator did not say: "
                                                                f"{type(exc).__name__})")


def _ask_the_emulator(settings: Settings, now: Callable[[], float] = time.monotonic) -> CryptopayPace:
    if settings.emulator_control_url:
        control = EmulatorControl(settings.emulator_control_url, timeout=10)
        scale = control.clock()["scale"]
        limit = control.settings().get("rate_limit_per_minute", settings.requests_per_minute)
        return CryptopayPace(limit or None, float(scale), "the emulator's control API")
    scale = measured_scale(lambda: server_date(settings.cryptopay_api_url), now)
    return CryptopayPace(settings.requests_per_minute, scale, "Cryptopay's Date header")


def measured_scale(read: Callable[[], datetime], now: Callable[[], float], limit: float = MEASURE_SECONDS,
                   span: float = 1.0) -> float:
    """Cryptopay seconds per real second, timed across ticks of its whole-second Date header for about `span` real
    seconds (1.0 if it does not tick twice within `limit`: a clock that slow is the sandbox's own). Each tick is
    placed at the latest moment it can have happened, so the figure errs slow and the budget low."""
    started, last = now(), read()
    edges: list[tuple[datetime, float, float]] = []  # (Date read, read before it, read at it)
    before = now()
    while now() - started < limit and (len(edges) < 2 or edges[-1][2] - edges[0][2] < span):
        seen, at = read(), now()
        if seen != last:
            edges.append((seen, before, at))
            last = seen
        before = at
    if len(edges) < 2:
        return 1.0
    (a, a_before, _), (b, _, b_at) = edges[0], edges[-1]
    return max(1.0, (b - a).total_seconds() / max(b_at - a_before, 1e-6))
