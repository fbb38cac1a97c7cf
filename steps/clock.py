"""Steps about time passing: invoice expiry and the 14 days after which unpaid invoices are cancelled."""
from __future__ import annotations

from datetime import timedelta

from pytest_bdd import given, when

from support.drivers.cryptopay import CryptopayDriver
from support.drivers.emulator import EmulatorControl
from support.drivers.merchant import Deposit
from support.evidence import Evidence
from support.timetravel import let_time_pass_until, parse_time

CANCELLATION = timedelta(days=14)
# An invoice stays payable for 10 minutes; a real sandbox may need that long plus a minute of slack to expire it.
INVOICE_LIFETIME_SECONDS = 600
EXPIRY_SLACK_SECONDS = 60


@given("the deposit has expired")
@when("the deposit expires")
def deposit_expires(cryptopay: CryptopayDriver, control: EmulatorControl | None, deposit: Deposit,
                    evidence: Evidence, wait_timeout: float) -> None:
    invoice = cryptopay.invoice(deposit.invoice_id)
    let_time_pass_until(parse_time(invoice["expires_at"]), control, wait_timeout + INVOICE_LIFETIME_SECONDS + EXPIRY_SLACK_SECONDS,
                        f"invoice {invoice['id']} expires at {invoice['expires_at']}", server_now=cryptopay.server_now)
    evidence.attach_text("Time passed", f"invoice expired at {invoice['expires_at']}")


@when("14 days pass without payment")
def fourteen_days_pass(cryptopay: CryptopayDriver, emulator: EmulatorControl, deposit: Deposit,
                       evidence: Evidence, wait_timeout: float) -> None:
    invoice = cryptopay.invoice(deposit.invoice_id)
    moment = parse_time(invoice["created_at"]) + CANCELLATION
    let_time_pass_until(moment, emulator, wait_timeout, "14 days after the invoice was created")
    evidence.attach_text("Time passed", f"14 days after {invoice['created_at']}")
