"""Steps about paying invoice addresses through the configured payer: exact, too little, too much, risky, late."""
from __future__ import annotations

from pytest_bdd import given, parsers, when

from support.domain.payments import pay_share
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


@given("the customer has paid the exact amount from a high-risk source")
@when("the customer pays the exact amount from a high-risk source")
def customer_pays_risky(cryptopay: CryptopayDriver, control: EmulatorControl | None, payer: Payer, deposit: Deposit,
                        evidence: Evidence) -> None:
    pay_share(cryptopay, payer, deposit, evidence, "the exact amount", risk_level="high",
              clock_moves_by_itself=control is None)
