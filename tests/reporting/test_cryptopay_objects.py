"""The Cryptopay objects behind a scenario, read from its API exchanges: every kind, the last answer of each, and
nothing from the account-wide lists (other scenarios' objects) or from refusals."""
from __future__ import annotations

from cryptopay_client import Exchange
from reporting.cryptopay_objects import KINDS, describe, objects_seen

INVOICE = {"id": "inv-1", "status": "new", "status_context": None, "price_amount": "100.0", "price_currency": "EUR",
           "pay_amount": "0.0019", "pay_currency": "BTC", "paid_amount": "0.0", "fee": "1.0", "custom_id": "d-1",
           "customer_id": "c-1", "created_at": "2026-05-04T09:00:05+00:00", "address": "tb1q..."}


def _exchange(method: str, path: str, data: object, status: int = 200) -> Exchange:
    return Exchange(method, path, None, status, {"data": data}, 3)


def test_each_kind_is_read_from_its_own_endpoints_with_its_parent() -> None:
    seen = objects_seen([
        _exchange("POST", "/api/invoices", INVOICE, 201),
        _exchange("POST", "/api/invoices/inv-1/recalculations",
                  {"id": "rc-1", "invoice_id": "inv-1", "price_amount": "50.05", "price_currency": "EUR"}, 201),
        _exchange("GET", "/api/invoices/inv-1/refunds", [{"id": "rf-1", "amount": "0.001", "amount_currency": "BTC"}]),
        _exchange("POST", "/api/coin_withdrawals/cw-1/commit", {"id": "cw-1", "status": "pending"}),
        _exchange("GET", "/api/channels/custom_id/ch%2F1", {"id": "ch-1", "status": "enabled", "project_id": "p"}),
        _exchange("GET", "/api/channels/ch-1/payments?starting_after=x", [{"id": "cp-1", "status": "pending"}]),
    ])
    assert [(o["kind"], o["id"]) for o in seen] == [("invoice", "inv-1"), ("recalculation", "rc-1"),
                                                   ("refund", "rf-1"), ("coin_withdrawal", "cw-1"),
                                                   ("channel", "ch-1"), ("channel_payment", "cp-1")]
    assert seen[2]["invoice_id"] == "inv-1" and seen[5]["channel_id"] == "ch-1"  # parents from the path
    assert "address" not in seen[0] and seen[0]["created_at"] == INVOICE["created_at"]
    assert set(seen[0]) == {"kind", "id", "created_at", *KINDS["invoice"].fixed, *KINDS["invoice"].state}


def test_the_last_answer_wins_and_the_first_sighting_keeps_its_place() -> None:
    completed = {**INVOICE, "status": "completed", "paid_amount": "0.0019"}
    seen = objects_seen([_exchange("GET", "/api/invoices/inv-1", INVOICE),
                         _exchange("GET", "/api/channels/ch-1", {"id": "ch-1", "status": "enabled"}),
                         _exchange("GET", "/api/invoices/custom_id/d-1", completed)])
    assert [o["id"] for o in seen] == ["inv-1", "ch-1"] and seen[0]["status"] == "completed"


def test_refusals_unscoped_lists_and_other_endpoints_list_nothing() -> None:
    assert objects_seen([
        _exchange("GET", "/api/invoices/inv-1", None, 404),
        Exchange("GET", "/api/invoices/inv-2", None, 429, {"error": {"code": "too_many_requests"}}, 1),
        _exchange("GET", "/api/invoices", [INVOICE]),  # the whole account's list: other scenarios' invoices too
        _exchange("GET", "/api/coin_withdrawals/network_fees", [{"id": "x", "level": "fast"}]),
        _exchange("GET", "/api/accounts", [{"id": "acc", "currency": "EUR"}]),
        _exchange("GET", "/api/rates/BTC/EUR", {"id": "r"}),
        Exchange("GET", "/api/invoices/inv-3", None, 200, {"unparsed": "<html>"}, 1),
    ]) == []
    scoped = objects_seen([_exchange("GET", "/api/invoices?customer_id=c-1", [INVOICE])])
    assert [o["id"] for o in scoped] == ["inv-1"]


def test_exchanges_read_back_from_an_attachment_give_the_same_objects() -> None:
    exchange = _exchange("GET", "/api/invoices/inv-1", INVOICE)
    as_dict = {"method": "GET", "path": exchange.path, "status": 200, "response_body": exchange.response_body}
    assert objects_seen([as_dict]) == objects_seen([exchange])


def test_an_object_reads_as_its_kind_id_status_and_amounts() -> None:
    seen = objects_seen([_exchange("GET", "/api/invoices/inv-1", {**INVOICE, "status": "unresolved",
                                                                    "status_context": "underpaid"})])
    assert describe(seen[0]) == "invoice inv-1 unresolved/underpaid (price 100.0 EUR, paid 0.0 BTC)"


def test_statuses_that_may_follow_are_reachable_and_final_ones_lead_nowhere() -> None:
    invoice, withdrawal = KINDS["invoice"], KINDS["coin_withdrawal"]
    assert invoice.may_follow("new", "refunded")  # new -> unresolved -> refunded
    assert not invoice.may_follow("completed", "refunded") and not invoice.may_follow("new", "new")
    assert withdrawal.may_follow("pending", "completed") and withdrawal.may_follow("failed", "cancelled")
    assert not withdrawal.may_follow("completed", "failed")
