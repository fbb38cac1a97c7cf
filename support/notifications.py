"""Reads which notifications reached the merchant: Cryptopay's delivery log where visible, else the merchant's own."""
from __future__ import annotations

import json

from support.drivers.callbacks import callback_body
from support.drivers.emulator import EmulatorControl
from support.drivers.merchant import MerchantAdapter
from support.waiting import wait_until


def delivered_events(invoice_id: str, control: EmulatorControl | None,
                     merchant: MerchantAdapter) -> tuple[str, list[dict]] | None:
    """[(event, status, merchant's answer)] in delivery order, and where it was read; None if nothing shows it."""
    if control is not None:
        rows = [{"event": d["event"], "status": d["invoice_status"], "state": d["state"],
                 "answers": [a["status_code"] or a["error"] for a in d["attempts"]]}
                for d in control.deliveries(invoice_id)]
        return "Cryptopay's delivery log (emulator)", rows
    received = merchant.received_callbacks(invoice_id)
    if received is None:
        return None
    rows = []
    for entry in received:
        try:
            status = json.loads(entry["raw_body"])["data"]["status"]
        except (ValueError, KeyError, TypeError):
            status = None
        # The outcome is the merchant's own free text, shown as evidence only; the HTTP status its callback
        # endpoint answered (probe v1: answered_status) is what says whether Cryptopay got an acknowledgement.
        rows.append({"event": entry["event"], "status": status, "state": entry["outcome"],
                     "answers": [entry["answered_status"]]})
    return "the merchant's callback log (probe extension)", rows


def acknowledged(answer: object) -> bool:
    """Cryptopay documents exactly 200 as "handled": any other answer, even another 2xx, is a failed delivery
    that it retries, so it is not an acknowledgement here either."""
    return answer == 200 and not isinstance(answer, bool)


def events_acknowledged(rows: list[dict], events: list[str]) -> bool:
    """Every wanted event has a delivery the merchant answered 200, whichever log shows it."""
    done = {row["event"] for row in rows if any(acknowledged(answer) for answer in row["answers"])}
    return all(event in done for event in events)


def earlier_callback_body(invoice_id: str, event: str, control: EmulatorControl | None,
                          invoice_now: dict) -> bytes:
    """The body of an earlier notification: captured if the log shows it, else rebuilt with the earlier status."""
    if control is not None:
        for delivery in control.deliveries(invoice_id):
            if delivery["event"] == event:
                return delivery["body"].encode()
    earlier = dict(invoice_now, status="new", status_context=None)
    return callback_body(event, earlier)


def wait_until_settled(invoice_ids: list[str], control: EmulatorControl | None, timeout: float) -> None:
    """Where Cryptopay's delivery log is visible, waits until every notification sent so far has been answered,
    so a check that nothing happened is not made while the merchant is still acting on one."""
    if control is None:
        return
    for invoice_id in invoice_ids:
        # An attempt is logged once the merchant's answer (or its failure) is in, so "attempted" means settled.
        wait_until(lambda: control.deliveries(invoice_id), lambda rows: all(d["attempts"] for d in rows),
                   timeout=timeout, expected=f"every notification for invoice {invoice_id} to reach the merchant")
