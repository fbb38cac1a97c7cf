"""Simulates the network between Cryptopay and the merchant failing: the account's callback URL is pointed at a
closed loopback port (connection refused, exactly what Cryptopay sees when a merchant is down) and restored."""
from __future__ import annotations

import socket

from support.drivers.emulator import EmulatorControl
from support.waiting import wait_until


def closed_port_url() -> str:
    # Bind, note the port, close: nothing listens there afterwards, so connections are refused at once. On
    # 127.0.0.2, because every server of the suite binds 127.0.0.1 and could otherwise be given the same port.
    with socket.socket() as sock:
        sock.bind(("127.0.0.2", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.2:{port}/callbacks/unreachable"


def completed_delivery(control: EmulatorControl, invoice_id: str) -> dict | None:
    return next((d for d in control.deliveries(invoice_id)
                 if d["event"] == "status_changed" and d["invoice_status"] == "completed"), None)


def wait_for_failed_attempt(control: EmulatorControl, invoice_id: str, timeout: float) -> dict:
    return wait_until(lambda: completed_delivery(control, invoice_id),
                      lambda d: bool(d and d["attempts"] and d["state"] == "pending"), timeout=timeout,
                      expected="a failed first attempt to deliver the 'completed' notification")
