"""Signed callback delivery with Cryptopay's retry schedule on the emulator's timeline, and a log of every attempt."""
from __future__ import annotations

import heapq
import http.client
import itertools
import logging
import threading
import time
import uuid
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable, Protocol

from cryptopay_client.callbacks import SIGNATURE_HEADER, callback_signature
from cryptopay_client.rails_json import rails_json
from cryptopay_emulator.clock import Clock, iso
from cryptopay_emulator.posting import AnswerTimeout, DeadlineSession
from cryptopay_emulator.timeline import Action, Timeline

log = logging.getLogger("cryptopay_emulator")

MAX_RETRIES = 20
RESPONSE_LIMIT_SECONDS = 10.0
# Objects whose callbacks are in flight at once. A merchant that never finishes answering holds one sender for at
# most the limit, so past this many such objects the others wait that long at most, never for ever.
SENDERS = 16


def retry_delay(n: int) -> timedelta:
    """Wait before retry n (0-based): 30 + n^4 + n seconds, as documented."""
    return timedelta(seconds=30 + n ** 4 + n)


class Poster(Protocol):
    """Posts one callback; `timeout` bounds the whole exchange (DeadlineSession), and the answer has a status."""

    def post(self, url: str, data: bytes, timeout: float, headers: dict[str, str]): ...


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
class Lane:
    """One object's deliveries waiting their turn behind the one in flight, and the sender working through them."""
    waiting: deque = field(default_factory=deque)
    sender: Future | None = None


@dataclass
class Endpoint:
    """Where callbacks go and what signs them: the account's Callback URL and Callback Secret."""
    url: str | None
    secret: str


class Deliverer:
    def __init__(self, clock: Clock, endpoint: Endpoint, *, timeout: float = RESPONSE_LIMIT_SECONDS,
                 session_factory: Callable[[], Poster] = DeadlineSession,
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
        self._senders: ThreadPoolExecutor | None = None  # made when first needed, shut by close()
        self._wake = threading.Event()  # an Event, not a Condition: a wake-up sent before the wait is not lost
        self._attempted = threading.Condition(self._lock)  # notified after every attempt is logged
        self._in_flight: dict[str, Delivery] = {}  # object id → its delivery awaiting the merchant's answer
        self.paused = False
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._deliveries: dict[str, Delivery] = {}
            self._order: list[str] = []
            # (next_attempt_at, seq, id): finding what is due costs O(due), not O(every delivery ever made)
            self._queue: list[tuple] = []
            self._seq = itertools.count()
            # Per object (its callbacks' owner): present while a sender works through that object's deliveries.
            self._lanes: dict[str, Lane] = {}
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

    def in_flight(self, object_id: str) -> str | None:
        """The event of the notification about this object that is awaiting the merchant's answer right now, if
        any: a request about the object made meanwhile comes from the merchant handling it."""
        with self._lock:
            delivery = self._in_flight.get(object_id)
            return delivery.event if delivery is not None else None

    def first_attempts(self, object_id: str, timeout: float) -> tuple[list[dict], bool]:
        """Waits until every notification raised so far about the object has had its first attempt answered (or
        given up), at most `timeout` real seconds: those deliveries, and whether they all got there in time."""
        self.wake()
        with self._attempted:
            wanted = [d for d in self._deliveries.values() if d.object_id == object_id]
            done = self._attempted.wait_for(
                lambda: all(d.attempts or d.state != "pending" for d in wanted), timeout)
            return [d.to_json() for d in wanted], done

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

    def run_due(self, wait_for_them: bool = True) -> int:
        """Sends every delivery that is due; returns how many. One object's deliveries go out one at a time, in the
        order raised; different objects' go out side by side, so a merchant that never finishes answering one
        callback holds up only that object's later ones, and each of those for at most the limit (Cryptopay's
        deliveries are independent too). `wait_for_them`: return once these attempts have ended (the scheduler
        thread does not wait; a test driving the deliverer itself does)."""
        if self.paused:
            return 0
        if self._own_timeline:
            self._scheduler.tick()
        batch = self.due()
        senders = []
        with self._lock:
            for delivery in batch:
                owner = delivery.object_id or delivery.id
                lane = self._lanes.get(owner)
                if lane is None:
                    lane = self._lanes[owner] = Lane()
                    lane.sender = self._pool().submit(self._send_in_turn, owner, lane)
                lane.waiting.append(delivery)
                senders.append(lane.sender)
        if wait_for_them:
            wait(senders)
        return len(batch)

    def _send_in_turn(self, owner: str, lane: Lane) -> None:
        """Works through one object's deliveries until none waits (or delivery is paused, or the log was reset)."""
        while True:
            with self._lock:
                if self._lanes.get(owner) is not lane:
                    return  # reset() dropped the log, this lane's waiting deliveries with it
                if self.paused or not lane.waiting:
                    for delivery in lane.waiting:  # paused: back in the queue, to go out on resume
                        self._schedule(delivery)
                    del self._lanes[owner]
                    return
                delivery = lane.waiting.popleft()
            try:
                self._attempt(delivery)
            except Exception:  # one broken attempt must not leave the lane registered and its object stuck for good
                log.exception("callback delivery %s failed unexpectedly", delivery.id)

    def _pool(self) -> ThreadPoolExecutor:
        if self._senders is None:
            self._senders = ThreadPoolExecutor(SENDERS, thread_name_prefix="emulator-callbacks")
        return self._senders

    def close(self) -> None:
        """No more sending: idle sender threads end; an attempt in flight still ends by its limit."""
        with self._lock:
            senders, self._senders = self._senders, None
        if senders is not None:
            senders.shutdown(wait=False)  # lanes already started finish: each attempt is bounded

    def next_wait(self, cap: float) -> float:
        with self._lock:
            first = self._queue[0][0] if self._queue else None
        if first is None or self.paused:
            return cap
        return min(cap, self._clock.real_seconds_until(first))

    def _attempt(self, delivery: Delivery) -> None:
        started = time.monotonic()
        status, error = None, None
        owner = delivery.object_id or delivery.id
        if not self._endpoint.url:
            error = "no callback URL configured"
        else:
            with self._lock:
                self._in_flight[owner] = delivery
            try:
                response = self._session.post(
                    self._endpoint.url, data=delivery.body, timeout=self._timeout,
                    headers={"Content-Type": "application/json",
                             SIGNATURE_HEADER: callback_signature(self._endpoint.secret, delivery.body)})
                status = response.status_code
                if time.monotonic() - started > self._timeout:  # a trickled answer is as late as a silent one
                    status, error = None, f"answered {response.status_code} after the {self._timeout:g} s limit"
            except (AnswerTimeout, TimeoutError):
                error = f"no answer within {self._timeout:g} s"
            except (OSError, http.client.HTTPException, ValueError) as exc:
                error = f"connection failed ({type(exc).__name__})"
            finally:
                with self._lock:
                    self._in_flight.pop(owner, None)
        elapsed_ms = int((time.monotonic() - started) * 1000)
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
            self._attempted.notify_all()
        if retry:  # outside the deliverer's lock: the timeline takes the account's
            self._scheduler.at(delivery.next_attempt_at, lambda when: self._release(delivery, when), owner)

    def wake(self) -> None:
        self._wake.set()

    def wait_for_work(self, timeout: float) -> None:
        self._wake.wait(timeout)
        self._wake.clear()
