"""Letting a deposit's invoice expire: Cryptopay's clock moved on, or a real sandbox's ten minutes waited out."""
from __future__ import annotations

from support.domain.timetravel import let_time_pass_until, parse_time
from support.drivers.cryptopay import CryptopayDriver
from support.drivers.emulator import EmulatorControl
from support.drivers.merchant import Deposit
from support.evidence.attachments import Evidence

# An invoice stays payable for 10 minutes; a real sandbox may need that long plus a minute of slack to expire it.
INVOICE_LIFETIME_SECONDS = 600
EXPIRY_SLACK_SECONDS = 60


def expire_deposit(cryptopay: CryptopayDriver, control: EmulatorControl | None, deposit: Deposit,
                   evidence: Evidence, wait_timeout: float) -> None:
    invoice = cryptopay.invoice(deposit.invoice_id)
    let_time_pass_until(parse_time(invoice["expires_at"]), control,
                        wait_timeout + INVOICE_LIFETIME_SECONDS + EXPIRY_SLACK_SECONDS,
                        f"invoice {invoice['id']} expires at {invoice['expires_at']}", server_now=cryptopay.server_now,
                        object_id=invoice["id"])
    evidence.attach_text("Time passed", f"invoice expired at {invoice['expires_at']}")
