"""Steps about time passing: invoice expiry and the 14 days after which unpaid invoices are cancelled."""
from __future__ import annotations

from datetime import timedelta

from pytest_bdd import given, when

from support.domain.expiry import expire_deposit
from support.domain.timetravel import let_time_pass_until, parse_time
from support.drivers.cryptopay import CryptopayDriver
from support.drivers.emulator import EmulatorControl
from support.drivers.merchant import Deposit
from support.evidence.attachments import Evidence

CANCELLATION = timedelta(days=14)


@given("the deposit has expired")
@when("the deposit expires")
def deposit_expires(cryptopay: CryptopayDriver, control: EmulatorControl | None, deposit: Deposit,
                    evidence: Evidence, wait_timeout: float) -> None:
    expire_deposit(cryptopay, control, deposit, evidence, wait_timeout)


@when("14 days pass without payment")
def fourteen_days_pass(cryptopay: CryptopayDriver, emulator: EmulatorControl, deposit: Deposit,
                       evidence: Evidence, wait_timeout: float) -> None:
    invoice = cryptopay.invoice(deposit.invoice_id)
    moment = parse_time(invoice["created_at"]) + CANCELLATION
    let_time_pass_until(moment, emulator, wait_timeout, "14 days after the invoice was created",
                        object_id=deposit.invoice_id)
    evidence.attach_text("Time passed", f"14 days after {invoice['created_at']}")
