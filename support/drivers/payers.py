"""Payers: how an invoice address gets paid. The embedded default plays the payer's wallet through the emulator."""
from __future__ import annotations

from decimal import Decimal
from typing import Protocol

from support.drivers.emulator import EmulatorControl


class Payer(Protocol):
    description: str

    def pay(self, invoice: dict, amount: Decimal, risk_level: str = "low") -> dict: ...


class EmulatorPayer:
    description = "the emulator's sandbox control API"

    def __init__(self, control: EmulatorControl):
        self._control = control

    def pay(self, invoice: dict, amount: Decimal, risk_level: str = "low") -> dict:
        return self._control.pay(invoice["id"], amount, risk_level=risk_level)
