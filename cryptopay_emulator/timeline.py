"""What the one clock decides, per object: deadlines, and objects moved on by the control API (a test clock each)."""
from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from cryptopay_emulator.clock import Clock

# A deadline's action gets the moment it fell due: what it stamps is when it happened, not when a tick saw it.
Action = Callable[[datetime], None]
# Moves one object's timestamps into the past by a delta (each backend stamps its own records).
Shifter = Callable[[str, timedelta], None]


@dataclass(order=True)
class Deadline:
    when: datetime
    seq: int
    action: Action = field(compare=False)
    owner: str | None = field(compare=False, default=None)


@dataclass(frozen=True)
class Moved:
    """What an advance did to one object: how far it moved, how far its past was pushed back to keep every
    timestamp at or before now, and what is still ahead of it."""
    owner: str
    seconds: float
    backdated: float
    ran: int
    pending: int
    next_in: float | None
    now: datetime  # the object's own now afterwards (the clock's, for a running object)

    def to_json(self) -> dict:
        return {"id": self.owner, "advanced_seconds": self.seconds, "backdated_seconds": self.backdated,
                "deadlines_run": self.ran, "deadlines_pending": self.pending, "next_deadline_in_seconds": self.next_in,
                "now": self.now.isoformat()}


class Timeline:
    """Deadlines on the emulator clock, each owned by the object it is about (an invoice, a withdrawal, a channel
    payment; a callback retry belongs to the object its notification is about).

    A *running* object's deadlines fall due as the clock passes them. A *driven* object (one born while the account's
    time is driven) has a clock of its own that stands still until the control API moves it, like an object on a
    Stripe test clock: nothing happens to it while a test looks away, however loaded the machine. Moving an object
    never puts its timestamps ahead of the clock: what it lived through is pushed into the past instead (it was
    born earlier), with the intervals between its events kept."""

    def __init__(self, clock: Clock):
        self.clock = clock
        self.driven = False  # whether objects born from now on are driven
        self._shifters: list[Shifter] = []
        self.reset()

    def reset(self) -> None:
        self._heap: list[Deadline] = []  # running objects' deadlines: tick() costs O(due), not O(all)
        self._held: dict[str, list[Deadline]] = {}  # driven objects' deadlines, by owner
        self._own_time: dict[str, datetime] = {}  # a driven object's own "now"
        self._known: set[str] = set()
        self._seq = itertools.count()

    def on_shift(self, shifter: Shifter) -> None:
        self._shifters.append(shifter)

    # -- scheduling ---------------------------------------------------------------------------------------
    def born(self, owner: str) -> None:
        """The object exists from now on: driven if the account's time is driven at this moment."""
        if owner not in self._known:
            self._known.add(owner)
            if self.driven:
                self._own_time[owner] = self.clock.now()

    def knows(self, owner: str) -> bool:
        return owner in self._known

    def now_of(self, owner: str | None) -> datetime:
        """The object's own "now": the clock for a running object, its own stood-still time for a driven one."""
        return self._own_time.get(owner, self.clock.now()) if owner else self.clock.now()

    def at(self, when: datetime, action: Action, owner: str | None = None) -> None:
        if owner is not None:
            self.born(owner)
        deadline = Deadline(when, next(self._seq), action, owner)
        if owner in self._own_time:
            self._held.setdefault(owner, []).append(deadline)
        else:
            heapq.heappush(self._heap, deadline)

    def after(self, owner: str, delay: timedelta, action: Action) -> None:
        """`delay` after the object's own now."""
        self.born(owner)
        self.at(self.now_of(owner) + delay, action, owner)

    def next_deadline(self) -> datetime | None:
        return self._heap[0].when if self._heap else None

    def tick(self) -> None:
        """Runs every running object's deadline the clock has passed, in deadline order."""
        now = self.clock.now()
        while self._heap and self._heap[0].when <= now:
            deadline = heapq.heappop(self._heap)
            deadline.action(deadline.when)

    # -- moving one object ----------------------------------------------------------------------------------
    def advance(self, owner: str, seconds: float | None = None, until: datetime | None = None) -> Moved:
        """Moves the object `seconds` on, or until its own time reaches `until` (a moment as the object shows its
        times now), or else to its next deadline; runs what falls due, in order."""
        self.tick()
        now = self.clock.now()
        own = self.now_of(owner)
        if until is not None:
            seconds = max(0.0, (until - own).total_seconds())
        if seconds is None:
            upcoming = self._deadlines_of(owner)
            seconds = max(0.0, (min(upcoming).when - own).total_seconds()) if upcoming else 0.0
        target = own + timedelta(seconds=seconds)
        backdate = max(target - now, timedelta(0))
        if backdate:
            self._shift(owner, backdate)
            target -= backdate
        ran = self._run_until(owner, target)
        if owner in self._own_time:
            self._own_time[owner] = target
        upcoming = self._deadlines_of(owner)
        next_in = (min(upcoming).when - self.now_of(owner)).total_seconds() if upcoming else None
        return Moved(owner, seconds, backdate.total_seconds(), ran, len(upcoming), next_in, self.now_of(owner))

    def advance_all(self, seconds: float) -> None:
        """The whole account's time moves on (the clock itself was advanced): driven objects move with it."""
        for owner in list(self._own_time):
            self.advance(owner, seconds)
        self.tick()

    def _deadlines_of(self, owner: str) -> list[Deadline]:
        if owner in self._own_time:
            return list(self._held.get(owner, ()))
        return [d for d in self._heap if d.owner == owner]

    def _run_until(self, owner: str, target: datetime) -> int:
        if owner not in self._own_time:
            before = len(self._heap)
            self.tick()  # its deadlines were moved to now or before: due like any other
            return max(before - len(self._heap), 0)
        ran = 0
        while True:
            held = self._held.get(owner, [])
            due = [d for d in held if d.when <= target]
            if not due:
                return ran
            first = min(due)
            held.remove(first)
            self._own_time[owner] = first.when  # what it schedules is measured from the moment it ran
            first.action(first.when)
            ran += 1

    def _shift(self, owner: str, delta: timedelta) -> None:
        for deadline in self._deadlines_of(owner):
            deadline.when -= delta
        heapq.heapify(self._heap)
        if owner in self._own_time:
            self._own_time[owner] -= delta
        for shifter in self._shifters:
            shifter(owner, delta)
