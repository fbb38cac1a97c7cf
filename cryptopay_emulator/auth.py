"""Checks the HMAC Authorization of an /api request exactly as the real API signs it, and the per-key rate limit."""
from __future__ import annotations

import hmac
import threading
import time
from collections import deque
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Callable

from cryptopay_client.signing import sign
from cryptopay_emulator.errors import RateLimited, Unauthenticated


def parse_date(value: str) -> datetime | None:
    """The SDKs send HTTP-date, RFC 2822 or ISO 8601 and the sandbox accepts all of them."""
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


class Authenticator:
    def __init__(self, api_key: str, api_secret: str, *, tolerance_seconds: int = 900,
                 wall_clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)):
        self._key = api_key
        self._secret = api_secret
        self._tolerance = tolerance_seconds
        # Skew is judged against real time: the client cannot know the emulator's simulated clock.
        self._wall_clock = wall_clock

    def __repr__(self) -> str:
        return "Authenticator(api_key=***, api_secret=***)"

    def check(self, method: str, path: str, body: bytes, authorization: str | None, date: str | None) -> str:
        if not authorization or not authorization.startswith("HMAC ") or ":" not in authorization:
            raise Unauthenticated("missing or malformed Authorization header")
        key, _, signature = authorization[5:].strip().partition(":")
        if not hmac.compare_digest(key.encode(), self._key.encode()):
            raise Unauthenticated("unknown api key")
        if not date:
            raise Unauthenticated("missing Date header")
        moment = parse_date(date)
        if moment is None or abs((self._wall_clock() - moment).total_seconds()) > self._tolerance:
            raise Unauthenticated("Date header missing, unparsable or outside the allowed clock skew")
        expected = sign(self._secret, method, body, date, path)
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            raise Unauthenticated("signature mismatch")
        return key


class RateLimiter:
    """At most `limit` requests in any 60 seconds per API key, like the documented 200/min. The emulator reads its
    own clock here (`monotonic`), so the window refills as the emulated time passes, the same time the retries
    and expiries follow; `age` is that time moving on for a scenario that moved an object's time."""

    def __init__(self, limit: int = 200, window: float = 60.0, monotonic: Callable[[], float] = time.monotonic):
        self._limit = limit
        self._window = window
        self._monotonic = monotonic
        self._hits: dict[str, deque] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> None:
        if self._limit <= 0:
            return
        now = self._monotonic()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and now - hits[0] >= self._window:
                hits.popleft()
            if len(hits) >= self._limit:
                raise RateLimited()
            hits.append(now)

    @property
    def limit(self) -> int:
        """Requests a minute per key; 0: no limit."""
        return max(self._limit, 0)

    def age(self, seconds: float) -> None:
        """Every request so far counts as made `seconds` earlier."""
        with self._lock:
            for hits in self._hits.values():
                for i in range(len(hits)):
                    hits[i] -= seconds
