"""One resource's records by id and custom_id, in creation order, paged newest first as Cryptopay pages its lists."""
from __future__ import annotations

import uuid
from bisect import bisect_left
from typing import Generic, Iterator, TypeVar

from cryptopay_emulator.errors import Invalid, NotFound, detail

# docs/cryptopay-api-facts.md §2 "Pagination": 50 per page, newest first, `starting_after` = last id seen.
PAGE_SIZE = 50
T = TypeVar("T")


def is_uuid(value: object) -> bool:
    try:
        return isinstance(value, str) and str(uuid.UUID(value)) == value.lower()
    except (ValueError, AttributeError, TypeError):
        return False


def require_uuid(value: str, target: str) -> str:
    """A malformed id is 422 `must_be_uuid`, as the real API answers for `starting_after` (§2, §6)."""
    if not is_uuid(value):
        raise Invalid(details=[detail("must_be_uuid", target, "must match uuid format")])
    return value


class Store(Generic[T]):
    """Creation order doubles as created_at order (the emulator clock never goes back), so pages need no sort."""

    def __init__(self) -> None:
        self._items: dict[str, T] = {}
        self._by_custom_id: dict[str, str] = {}
        self._order: list[str] = []
        self._position: dict[str, int] = {}
        self._by_customer: dict[str, list[int]] = {}

    def add(self, item_id: str, item: T, custom_id: str | None = None, customer_id: str | None = None) -> T:
        self._items[item_id] = item
        self._position[item_id] = len(self._order)
        if customer_id is not None:
            self._by_customer.setdefault(customer_id, []).append(len(self._order))
        self._order.append(item_id)
        if custom_id is not None:
            self._by_custom_id[custom_id] = item_id
        return item

    def has_custom_id(self, custom_id: str | None) -> bool:
        return custom_id is not None and custom_id in self._by_custom_id

    def find(self, item_id: object) -> T | None:
        return self._items.get(item_id) if isinstance(item_id, str) else None

    def get(self, item_id: object) -> T:
        item = self.find(item_id)
        if item is None:
            raise NotFound()
        return item

    def by_custom_id(self, custom_id: str) -> T:
        return self.get(self._by_custom_id.get(custom_id, ""))

    def forget(self, item_id: object) -> bool:
        """Removes one record as if it had never been made (the control API's "gone at Cryptopay"); False when
        there is none. Positions are rebuilt: a rare control call, never on the API's hot path."""
        if self.find(item_id) is None:
            return False
        kept = {customer: [self._order[p] for p in positions if self._order[p] != item_id]
                for customer, positions in self._by_customer.items()}
        del self._items[item_id]
        self._order.remove(item_id)
        self._position = {i: n for n, i in enumerate(self._order)}
        self._by_customer = {c: [self._position[i] for i in ids] for c, ids in kept.items() if ids}
        self._by_custom_id = {c: i for c, i in self._by_custom_id.items() if i != item_id}
        return True

    def __iter__(self) -> Iterator[T]:
        return (self._items[i] for i in self._order)

    def __len__(self) -> int:
        return len(self._order)

    def page(self, customer_id: str | None = None, starting_after: str | None = None,
             uuid_ids: bool = True) -> tuple[list[T], dict]:
        """Up to 50 items older than `starting_after`, newest first, with `meta {total, has_more}`."""
        if uuid_ids and starting_after is not None and not is_uuid(starting_after):
            raise Invalid(details=[detail("must_be_uuid", "starting_after", "must match uuid format")])
        positions = self._by_customer.get(customer_id, []) if customer_id is not None else None
        total = end = len(self._order) if positions is None else len(positions)
        if starting_after is not None:
            cursor = self._position.get(starting_after.lower() if uuid_ids else starting_after)
            if cursor is None:
                raise NotFound()
            end = cursor if positions is None else bisect_left(positions, cursor)
        start = max(0, end - PAGE_SIZE)
        window = range(start, end) if positions is None else positions[start:end]
        return [self._items[self._order[i]] for i in reversed(window)], {"total": total, "has_more": start > 0}
