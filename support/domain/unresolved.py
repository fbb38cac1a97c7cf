"""Bringing a deposit to each kind of unresolved invoice the way a customer would: too little, too much, too late."""
from __future__ import annotations

from support.domain.concepts import reported
from support.domain.deposits import DEPOSITS
from support.domain.expiry import expire_deposit
from support.domain.parameters import Status
from support.domain.payments import pay_share
from support.drivers.cryptopay import CryptopayDriver
from support.drivers.emulator import EmulatorControl
from support.drivers.merchant import Deposit
from support.drivers.payers import Payer
from support.evidence.attachments import Evidence


def leave_unresolved(kind: str, cryptopay: CryptopayDriver, control: EmulatorControl | None, payer: Payer,
                     deposit: Deposit, evidence: Evidence, wait_timeout: float) -> dict:
    """kind is Cryptopay's status_context (underpaid, overpaid, paid_late); returns the invoice once unresolved."""
    moves_by_itself = control is None  # then a payment meant before the expiry can land after it: environment
    if kind == "underpaid":  # only half paid, then the invoice expires
        pay_share(cryptopay, payer, deposit, evidence, "only half", clock_moves_by_itself=moves_by_itself)
        expire_deposit(cryptopay, control, deposit, evidence, wait_timeout)
    elif kind == "overpaid":
        pay_share(cryptopay, payer, deposit, evidence, "twice the amount", clock_moves_by_itself=moves_by_itself)
    elif kind == "paid_late":  # the exact amount, after the invoice expired
        expire_deposit(cryptopay, control, deposit, evidence, wait_timeout)
        pay_share(cryptopay, payer, deposit, evidence, "the exact amount")
    else:
        raise ValueError(f"unknown kind of unresolved invoice {kind!r}")
    invoice = reported(DEPOSITS, cryptopay, control, deposit, Status("unresolved", kind), wait_timeout)
    evidence.attach_json(f"Invoice as Cryptopay reports it (unresolved, {kind})", invoice)
    return invoice
