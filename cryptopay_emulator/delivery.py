"""Signed callback delivery with Cryptopay's retry schedule on the emulator's timeline, and a log of every attempt."""
from __future__ import annotations

import heapq
import itertools
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable, Protocol

import requests

from cryptopay_client.callbacks import SIGNATURE_HEADER, callback_signature
from cryptopay_emulator.clock import Clock, iso
from cryptopay_emulator.rails_json import rails_json
from cryptopay_emulator.timeline import Action, Timeline

MAX_RETRIES = 20
RESPONSE_LIMIT_SECONDS = 10.0


def retry_delay(n: int) -> timedelta:
    """Wait before retry n (0-based): 30 + n^4 + n seconds, as documented."""
    return timedelta(seconds=30 + n ** 4 + n)


class Scheduler(Protocol):
    """Where retries wait: the account's timeline (a retry belongs to the object its notification is about)."""

    def at(self, when: datetime, action: Action, owner: str | None = None) -> None: ...

    def now_of(self, owner: str | None) -> datetime: ...

    def tick(self) -> None: ...


@dataclass
class Attempt:
    number: int
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int

    def to_json(self) -> dict:
        return dict(self.__dict__, at=iso(self.at))


@dataclass
class Delivery:
    id: str
    event: str
    invoice_id: str | None
    status: str
    body: bytes
    next_attempt_at: datetime | None
    resend_of: str | None = None
    attempts: list[Attempt] = field(default_factory=list)
    state: str = "pending"  # pending | delivered | failed
    kind: str = "Invoice"
    object_id: str | None = None  # the id of the invoice, channel payment or withdrawal the callback is about

    def to_json(self) -> dict:
        return {"id": self.id, "type": self.kind, "event": self.event, "object_id": self.object_id,
                "invoice_id": self.invoice_id, "invoice_status": self.status, "status": self.status,
                "state": self.state, "resend_of": self.resend_of,
                "next_attempt_at": iso(self.next_attempt_at) if self.next_attempt_at else None,
                "attempts": [a.to_json() for a in self.attempts], "body": self.body.decode()}


@dataclass
class Endpoint:
    """Where callbacks go and what signs them: the account's Callback URL and Callback Secret."""
    url: str | None
    secret: str


class Deliverer:
    def __init__(self, clock: Clock, endpoint: Endpoint, *, timeout: float = RESPONSE_LIMIT_SECONDS,
                 session_factory: Callable[[], requests.Session] = requests.Session,
                 scheduler: Scheduler | None = None):
        self._clock = clock
        # Retries wait on the account's timeline, so moving an object's time brings its retries with it; alone (in
        # a unit test) the deliverer keeps a timeline of its own and ticks it itself.
        self._own_timeline = scheduler is None
        self._scheduler: Scheduler = scheduler or Timeline(clock)
        self._endpoint = endpoint
        self._timeout = timeout
        self._session = session_factory()
        self._lock = threading.RLock()
        self._send_lock = threading.Lock()
        self._wake = threading.Event()  # an Event, not a Condition: a wake-up sent before the wait is not lost
        self.paused = False
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._deliveries: dict[str, Delivery] = {}
            self._order: list[str] = []
            # (next_attempt_at, seq, id): finding what is due costs O(due), not O(every delivery ever made)
            self._queue: list[tuple] = []
            self._seq = itertools.count()
            self.paused = False

    @property
    def url(self) -> str | None:
        return self._endpoint.url

    def set_url(self, url: str | None) -> None:
        """The account's Callback URL, which may change while the emulator runs (the merchant starts later)."""
        self._endpoint.url = url
        self.wake()

    # -- queueing -------------------------------------------------------------------------------------
    def enqueue(self, event: str, invoice: dict) -> Delivery:
        return self.enqueue_typed("Invoice", event, invoice)

    def enqueue_typed(self, kind: str, event: str, data: dict) -> Delivery:
        """Any callback type ("Invoice", "ChannelPayment", "CoinWithdrawal"); only invoices fill invoice_id in the
        log, every type fills object_id."""
        body = rails_json({"type": kind, "event": event, "data": data})
        return self._add(Delivery(str(uuid.uuid4()), event, data["id"] if kind == "Invoice" else None,
                                  data["status"], body, next_attempt_at=self._clock.now(), kind=kind,
                                  object_id=data["id"]))

    def resend(self, delivery_id: str, current: Callable[[str], dict] | None = None) -> Delivery | None:
        """Like the dashboard's resend, as a new delivery: the same event, carrying the invoice as `current` renders
        it now (so not byte-identical to the first delivery); the original bytes when there is no `current`."""
        with self._lock:
            original = self._deliveries.get(delivery_id)
        if original is None:
            return None
        status, body = original.status, original.body
        if current is not None and original.kind == "Invoice" and original.invoice_id:
            data = current(original.invoice_id)
            status, body = data["status"], rails_json({"type": original.kind, "event": original.event, "data": data})
        return self._add(Delivery(str(uuid.uuid4()), original.event, original.invoice_id, status, body,
                                  next_attempt_at=self._clock.now(), resend_of=original.id, kind=original.kind,
                                  object_id=original.object_id))

    def _add(self, delivery: Delivery) -> Delivery:
        with self._lock:
            self._deliveries[delivery.id] = delivery
            self._order.append(delivery.id)
            self._schedule(delivery)
        self.wake()
        return delivery

    def log(self, invoice_id: str | None = None, object_id: str | None = None) -> list[dict]:
        with self._lock:
            rows = [self._deliveries[i] for i in self._order]
            return [d.to_json() for d in rows if (invoice_id is None or d.invoice_id == invoice_id)
                    and (object_id is None or d.object_id == object_id)]

    def set_paused(self, paused: bool) -> None:
        self.paused = paused
        self.wake()

    # -- sending --------------------------------------------------------------------------------------
    def _schedule(self, delivery: Delivery) -> None:
        heapq.heappush(self._queue, (delivery.next_attempt_at, next(self._seq), delivery.id))

    def _release(self, delivery: Delivery, when: datetime) -> None:
        """A retry's moment has come on its object's clock: it joins the queue of what is due."""
        with self._lock:
            if delivery.state != "pending":
                return
            delivery.next_attempt_at = when
            self._schedule(delivery)
        self.wake()

    def shift(self, object_id: str, delta: timedelta) -> None:
        """The object's time was moved on: its notifications' log moves into the past with it."""
        with self._lock:
            for delivery in self._deliveries.values():
                if delivery.object_id != object_id:
                    continue
                for attempt in delivery.attempts:
                    attempt.at -= delta
                if delivery.next_attempt_at is not None:
                    delivery.next_attempt_at -= delta
            self._queue = [(self._deliveries[i].next_attempt_at or at, seq, i) for at, seq, i in self._queue]
            heapq.heapify(self._queue)

    def due(self) -> list[Delivery]:
        """Takes every delivery whose attempt is due off the queue, oldest first (ties in the order raised)."""
        now = self._clock.now()
        batch = []
        with self._lock:
            while self._queue and self._queue[0][0] <= now:
                _, _, delivery_id = heapq.heappop(self._queue)
                delivery = self._deliveries.get(delivery_id)
                if delivery is not None and delivery.state == "pending":
                    batch.append(delivery)
        return batch

    def run_due(self) -> int:
        """Sends every delivery that is due, in the order they were raised; returns how many were tried."""
        if self.paused:
            return 0
        if self._own_timeline:
            self._scheduler.tick()
        with self._send_lock:
            batch = self.due()
            for delivery in batch:
                self._attempt(delivery)
            return len(batch)

    def next_wait(self, cap: float) -> float:
        with self._lock:
            first = self._queue[0][0] if self._queue else None
        if first is None or self.paused:
            return cap
        return min(cap, self._clock.real_seconds_until(first))

    def _attempt(self, delivery: Delivery) -> None:
        started = time.monotonic()
        status, error = None, None
        if not self._endpoint.url:
            error = "no callback URL configured"
        else:
            try:
                response = self._session.post(
                    self._endpoint.url, data=delivery.body, timeout=self._timeout,
                    headers={"Content-Type": "application/json",
                             SIGNATURE_HEADER: callback_signature(self._endpoint.secret, delivery.body)})
                status = response.status_code
                if time.monotonic() - started > self._timeout:  # a trickled answer is as late as a silent one
                    status, error = None, f"answered {response.status_code} after the {self._timeout:g} s limit"
            except requests.Timeout:
                error = f"no answer within {self._timeout:g} s"
            except requests.RequestException as exc:
                error = f"connection failed ({type(exc).__name__})"
        elapsed_ms = int((time.monotonic() - started) * 1000)
        owner = delivery.object_id or delivery.id
        # The attempt on its object's clock, whole seconds: the log's retry gap is exactly the schedule's.
        now = self._scheduler.now_of(owner).replace(microsecond=0)
        with self._lock:
            number = len(delivery.attempts)
            delivery.attempts.append(Attempt(number, now, status, error, elapsed_ms))
            retry = status != 200 and number < MAX_RETRIES
            if status == 200:
                delivery.state, delivery.next_attempt_at = "delivered", None
            elif not retry:
                delivery.state, delivery.next_attempt_at = "failed", None
            else:
                delivery.next_attempt_at = now + retry_delay(number)
        if retry:  # outside the deliverer's lock: the timeline takes the account's
            self._scheduler.at(delivery.next_attempt_at, lambda when: self._release(delivery, when), owner)

    def wake(self) -> None:
        self._wake.set()

    def wait_for_work(self, timeout: float) -> None:
        self._wake.wait(timeout)
        self._wake.clear()
