"""Whoever reads a final status sees the money: each callback handler credits (a completed invoice or channel
payment) or returns the debit (a cancelled payout) before it records the status.

Deterministic, not a race under load: the merchant's ledger is held at the door of the money move, and the
merchant is read through its probe while the handler waits there. Before the invoice handler credited first, the
probe showed `completed` and an empty balance at that moment."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Callable

from reference_merchant.ledger import Ledger
from tests.merchant.harness import PAYOUT_OPTIONS, WAIT, Shop, running_shop, sqlite_url


@dataclass
class Door:
    """Where the handler waits: `reached` once it is about to move the money, until `opened`."""
    reached: threading.Event = field(default_factory=threading.Event)
    opened: threading.Event = field(default_factory=threading.Event)

    def read_while_held(self, read: Callable[[], object]) -> object:
        try:
            assert self.reached.wait(WAIT), "the merchant never came to move the money"
            return read()
        finally:
            self.opened.set()


def held_at(move: str) -> tuple[type[Ledger], Door]:
    """A Ledger whose `move` (credit, credit_channel_payment, refund) first waits at a door the test opens."""
    door, real = Door(), getattr(Ledger, move)

    def held(self: Ledger, *args, **kwargs):
        door.reached.set()
        door.opened.wait(WAIT)
        return real(self, *args, **kwargs)

    return type(f"HeldAt_{move}", (Ledger,), {move: held}), door


def test_an_invoice_reads_completed_only_once_its_credit_is_made(tmp_path: Path) -> None:
    ledger, door = held_at("credit")
    with running_shop(sqlite_url(tmp_path), {"ledger_cls": ledger}) as shop:
        invoice_id = shop.deposit("ines", "100.00")
        shop.wait_delivered(invoice_id)  # `created`, recorded new
        shop.pay_in_full(invoice_id)
        seen = door.read_while_held(lambda: (shop.recorded(invoice_id)["status"], shop.balances("ines")))
        assert seen == ("new", {}), (
            f"while its credit was not yet made the merchant showed the invoice as {seen[0]} with balances {seen[1]}")
        shop.wait_recorded(invoice_id, "completed")
        assert shop.balances("ines") == {"EUR": Decimal("100.00")}


def test_a_channel_payment_reads_completed_only_once_its_credit_is_made(tmp_path: Path) -> None:
    ledger, door = held_at("credit_channel_payment")
    with running_shop(sqlite_url(tmp_path), {"ledger_cls": ledger}) as shop:
        payment = shop.pay_channel(shop.open_channel("cora"), confirmed=False)
        shop.wait_payment_recorded(payment["id"], "pending")
        shop.control.confirm(payment["txid"])
        seen = door.read_while_held(lambda: (shop.recorded_payment(payment["id"])["status"], shop.balances("cora")))
        assert seen == ("pending", {}), (
            f"while its credit was not yet made the merchant showed the payment as {seen[0]} with balances {seen[1]}")
        shop.wait_payment_recorded(payment["id"], "completed")
        assert shop.balances("cora") == {"EUR": Decimal(shop.channel_payment(payment)["received_amount"])}


def test_a_payout_reads_cancelled_only_once_its_debit_is_returned(tmp_path: Path) -> None:
    ledger, door = held_at("refund")
    with running_shop(sqlite_url(tmp_path), {"ledger_cls": ledger}, **PAYOUT_OPTIONS) as shop:
        shop.fund_account(EUR="1000.0")
        shop.fund("pia", "100.00")
        placed = shop.payout("pia").json()
        shop.control.fail_withdrawal(placed["coin_withdrawal_id"])
        shop.run_out(placed["coin_withdrawal_id"])  # failed, then cancelled with the charge returned to the account
        seen = door.read_while_held(lambda: (shop.recorded_payout(placed["payout_id"])["status"],
                                             shop.balances("pia")))
        # Pending or failed, depending on whether a notification confirmed `failed` before Cryptopay cancelled it.
        assert seen[0] in ("pending", "failed") and seen[1] == {"EUR": Decimal("80.00")}, (
            f"while its debit was not yet returned the merchant showed the payout as {seen[0]} with balances "
            f"{seen[1]}")
        shop.wait_payout_recorded(placed["payout_id"], "cancelled")
        assert shop.balances("pia") == {"EUR": Decimal("100.00")}
