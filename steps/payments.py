"""Steps about paying invoice addresses through the configured payer: exact, too little, too much, risky, late; and,
with the emulator, a payment the network confirms later."""
from __future__ import annotations

from pytest_bdd import given, parsers, when

from support.domain.payments import confirm_payments, pay_share, pay_unconfirmed
from support.drivers.cryptopay import CryptopayDriver
from support.drivers.emulator import EmulatorControl
from support.drivers.merchant import Deposit
from support.drivers.payers import Payer
from support.evidence.attachments import Evidence


@given(parsers.cfparse("the customer has paid {how} of the deposit"))
@when(parsers.cfparse("the customer pays {how} of the deposit"))
def customer_pays(cryptopay: CryptopayDriver, control: EmulatorControl | None, payer: Payer, deposit: Deposit,
                  evidence: Evidence, how: str) -> None:
    pay_share(cryptopay, payer, deposit, evidence, how, clock_moves_by_itself=control is None)


@given("the customer has paid the exact amount of the deposit, which the network has not yet confirmed")
def customer_pays_unconfirmed(cryptopay: CryptopayDriver, emulator: EmulatorControl, deposit: Deposit,
                              evidence: Evidence) -> None:
    evidence.attach_json("Payment sent, not yet confirmed (emulator)", pay_unconfirmed(cryptopay, emulator, deposit))


@given("the network has confirmed the payment of the deposit")
def network_confirms(cryptopay: CryptopayDriver, emulator: EmulatorControl, deposit: Deposit,
                     evidence: Evidence) -> None:
    evidence.attach_json("The network confirmed the payment (emulator)", confirm_payments(cryptopay, emulator, deposit))


@given("the customer has paid the exact amount from a high-risk source")
@when("the customer pays the exact amount from a high-risk source")
def customer_pays_risky(cryptopay: CryptopayDriver, control: EmulatorControl | None, payer: Payer, deposit: Deposit,
                        evidence: Evidence) -> None:
    pay_share(cryptopay, payer, deposit, evidence, "the exact amount", risk_level="high",
              clock_moves_by_itself=control is None)
