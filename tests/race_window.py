"""The check-then-insert defect, modelled for every product's broken merchant: a window held open, not a fixed sleep."""
from __future__ import annotations

import threading


class RaceWindow:
    """Holds the window between a broken merchant's check ("not credited yet?") and its insert open until a second
    copy of the same notification has passed the check too, or PATIENCE_SECONDS went by. Copies arriving together
    are then credited twice however the machine schedules them: a fixed widening (50 ms) lost the race on a loaded
    CI machine, and the broken merchant passed the scenario meant to catch it."""

    # How long a copy that passed the check waits for another copy of the same notification to pass it too.
    PATIENCE_SECONDS = 1.0

    def __init__(self) -> None:
        self._checked: dict[str, int] = {}
        self._changed = threading.Condition()

    def hold(self, key: str) -> None:
        with self._changed:
            self._checked[key] = self._checked.get(key, 0) + 1
            self._changed.notify_all()
            self._changed.wait_for(lambda: self._checked[key] >= 2, timeout=self.PATIENCE_SECONDS)
