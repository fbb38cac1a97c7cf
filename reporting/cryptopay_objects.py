"""The Cryptopay objects behind a scenario (invoices, recalculations, refunds, coin withdrawals, channels, channel
payments), as the scenario last saw them: taken from its API exchanges, listed in the evidence, checked again later.

Each kind says which of its fields never change (checked whenever the object is read again) and which follow its
status (checked while the status is the one the evidence claims), and which statuses may follow which, so a reviewer
reading days later tells "moved on since the run" (an unpaid invoice cancelled after 14 days) from "not as claimed".
Sources: docs/cryptopay-api-facts.md §2-3, docs/cryptopay-channels-payouts-facts.md §2-4, §11, §14.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping
from urllib.parse import parse_qs, unquote, urlsplit

ATTACHMENT = "Cryptopay objects at the end of this scenario"
INVOICE, RECALCULATION, REFUND = "invoice", "recalculation", "refund"
WITHDRAWAL, CHANNEL, CHANNEL_PAYMENT = "coin_withdrawal", "channel", "channel_payment"


@dataclass(frozen=True)
class Kind:
    name: str
    words: str
    fixed: tuple[str, ...]  # never change once the object exists
    state: tuple[str, ...]  # follow the status: compared while the status is the claimed one
    parent: str | None = None  # the id of the object this one belongs to (a refund's invoice, a payment's channel)
    later: Mapping[str, frozenset[str]] | None = None  # status -> statuses that may follow it, directly or not
    amounts: tuple[tuple[str, str, str], ...] = ()  # (label, amount field, currency field), for a reader

    def may_follow(self, claimed: Any, now: Any) -> bool:
        return now in (self.later or {}).get(str(claimed), frozenset())


def _closure(steps: dict[str, set[str]]) -> dict[str, frozenset[str]]:
    """Every status reachable from each one, over any number of steps."""
    reach = {status: set(after) for status, after in steps.items()}
    changed = True
    while changed:
        changed = False
        for status, after in reach.items():
            more = set().union(*(reach.get(s, set()) for s in after)) - after - {status}
            if more:
                after |= more
                changed = True
    return {status: frozenset(after) for status, after in reach.items()}


KINDS: dict[str, Kind] = {kind.name: kind for kind in (
    # An invoice's price changes once, by a recalculation of an unresolved one; completed/refunded/cancelled are final.
    Kind(INVOICE, "invoice", fixed=("price_currency", "pay_currency", "custom_id", "customer_id"),
         state=("status", "status_context", "price_amount", "pay_amount", "paid_amount", "fee"),
         later=_closure({"new": {"completed", "unresolved", "cancelled"}, "unresolved": {"completed", "refunded"}}),
         amounts=(("price", "price_amount", "price_currency"), ("paid", "paid_amount", "pay_currency"))),
    # Cryptopay offers no GET of a recalculation: it is read again through its invoice, which shows its price.
    Kind(RECALCULATION, "recalculation", fixed=("price_currency", "pay_currency", "price_amount", "pay_amount"),
         state=(), parent="invoice_id",
         amounts=(("price", "price_amount", "price_currency"), ("pay", "pay_amount", "pay_currency"))),
    Kind(REFUND, "refund", fixed=("amount", "amount_currency", "fee", "custom_id"), state=(), parent="invoice_id",
         amounts=(("amount", "amount", "amount_currency"),)),
    # A payout's amounts are quoted at its creation; failed is not final (§14).
    Kind(WITHDRAWAL, "coin withdrawal",
         fixed=("charged_amount", "charged_currency", "received_amount", "received_currency", "custom_id",
                "customer_id"),
         state=("status",),
         later=_closure({"new": {"pending", "cancelled"}, "pending": {"processing", "on_hold", "failed", "cancelled"},
                         "processing": {"sent", "failed", "cancelled"}, "sent": {"completed", "failed"},
                         "on_hold": {"completed", "failed", "cancelled"}, "failed": {"completed", "cancelled"}}),
         amounts=(("charged", "charged_amount", "charged_currency"), ("received", "received_amount",
                                                                      "received_currency"))),
    # A channel is enabled or disabled at the merchant's will, any time; Cryptopay gives it no created_at.
    Kind(CHANNEL, "channel", fixed=("pay_currency", "receiver_currency", "custom_id", "customer_id", "project_id"),
         state=("status",), later={"enabled": frozenset({"disabled"}), "disabled": frozenset({"enabled"})}),
    # A payment's received amount and fee are set when it completes (§3, §4).
    Kind(CHANNEL_PAYMENT, "channel payment", fixed=("paid_amount", "paid_currency", "received_currency"),
         state=("status", "status_context", "received_amount", "fee"), parent="channel_id",
         later=_closure({"pending": {"completed", "on_hold", "refunded", "cancelled"},
                         "on_hold": {"completed", "refunded"}}),
         amounts=(("paid", "paid_amount", "paid_currency"), ("received", "received_amount", "received_currency"))),
)}
AMOUNT_FIELDS = frozenset({"price_amount", "pay_amount", "paid_amount", "fee", "amount", "charged_amount",
                           "received_amount"})  # compared as decimals: "100.0" and "100.00" are one amount


def record(kind: str, data: Mapping[str, Any], parent_id: str | None = None) -> dict[str, Any]:
    """What the evidence keeps of one object: its kind and id, the parent it belongs to, its fields and created_at."""
    spec = KINDS[kind]
    entry: dict[str, Any] = {"kind": kind, "id": str(data["id"])}
    if spec.parent:
        entry[spec.parent] = str(data.get(spec.parent) or parent_id or "")
    entry.update({name: data.get(name) for name in spec.fixed + spec.state})
    if "created_at" in data:
        entry["created_at"] = data.get("created_at")
    return entry


_TOPS = {"invoices": INVOICE, "coin_withdrawals": WITHDRAWAL, "channels": CHANNEL}


def _route(method: str, path: str) -> tuple[str, str | None, bool] | None:
    """(kind, parent id, whether the answer is a list) for a path of Cryptopay's API; None for anything else. A
    list counts only when it is scoped to the scenario (a customer's, an invoice's refunds, a channel's payments):
    the account-wide lists hold other scenarios' objects too."""
    parts = urlsplit(path)
    segments = [unquote(s) for s in parts.path.split("/") if s]
    if len(segments) < 2 or segments[0] != "api" or segments[1] not in _TOPS:
        return None
    top, kind, rest = segments[1], _TOPS[segments[1]], segments[2:]
    if not rest:  # a create, or a list
        if method == "POST":
            return kind, None, False
        return (kind, None, True) if "customer_id" in parse_qs(parts.query) else None
    if rest[0] == "network_fees":
        return None
    if rest[0] == "custom_id" or len(rest) == 1 or rest[1:] == ["commit"]:
        return kind, None, False
    if top == "invoices" and rest[1] == "recalculations":  # a create, or its commit
        return RECALCULATION, rest[0], False
    if top == "invoices" and rest[1:] == ["refunds"]:
        return REFUND, rest[0], method == "GET"
    if top == "channels" and rest[1] == "payments":
        return CHANNEL_PAYMENT, rest[0], len(rest) == 2
    return None


def objects_seen(exchanges: Iterable[Any]) -> list[dict[str, Any]]:
    """Every object the exchanges show, as the last answer that showed it, in the order they were first seen. An
    exchange is a cryptopay_client Exchange or a dict with the same fields (method, path, status, response_body)."""
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for exchange in exchanges:
        def field(name: str) -> Any:
            return exchange.get(name) if isinstance(exchange, Mapping) else getattr(exchange, name, None)

        status, body = field("status"), field("response_body")
        route = _route(str(field("method") or ""), str(field("path") or ""))
        if route is None or not isinstance(status, int) or not 200 <= status < 300 or not isinstance(body, Mapping):
            continue
        kind, parent, many = route
        data = body.get("data")
        for item in (data if isinstance(data, list) else []) if many else [data]:
            if isinstance(item, Mapping) and item.get("id"):
                seen[(kind, str(item["id"]))] = record(kind, item, parent)  # a key seen before keeps its place
    return list(seen.values())


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def scenario_entry(scenario: Any, objects: list[dict[str, Any]]) -> dict[str, Any]:
    """One scenario's objects as the summary lists them (scenario: a reporting.results.Scenario)."""
    entry = {"scenario": scenario.title, "feature": scenario.feature, "status": scenario.status,
             "history_id": scenario.history_id, "objects": objects}
    return {**entry, "proven_on": scenario.proven_on} if scenario.proven_on else entry


def attached_objects(results_dir: Path, result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The objects a result's attachment lists (the scenario's own, recorded at its end), or []."""
    for attachment in result.get("attachments") or []:
        if isinstance(attachment, Mapping) and attachment.get("name") == ATTACHMENT and attachment.get("source"):
            listed = _read_json(Path(results_dir) / Path(str(attachment["source"])).name)
            if isinstance(listed, list):
                return [o for o in listed if isinstance(o, dict) and o.get("kind") in KINDS and o.get("id")]
    return []


def describe(entry: Mapping[str, Any]) -> str:
    """"invoice 1c0e… completed (price 100.0 EUR, paid 0.0019 BTC)": its kind, id, status and amounts."""
    spec = KINDS.get(str(entry.get("kind")))
    words = f"{spec.words if spec else entry.get('kind')} {entry.get('id')}"
    if entry.get("status"):
        words += f" {entry['status']}" + (f"/{entry['status_context']}" if entry.get("status_context") else "")
    amounts = [f"{label} {entry.get(amount)} {entry.get(currency) or ''}".rstrip()
               for label, amount, currency in (spec.amounts if spec else ()) if entry.get(amount) is not None]
    return words + (f" ({', '.join(amounts)})" if amounts else "")
