"""Steps about resolving unresolved invoices: recalculation, refund, the account policy, the monitoring team."""
from __future__ import annotations

import pytest
from pytest_bdd import given, parsers, then, when

from support.domain.callbacks import all_answered
from support.domain.concepts import recorded_as, reported
from support.domain.deposits import DEPOSITS
from support.domain.policy import PolicyOutcomes, read_policy_table
from support.domain.unresolved import leave_unresolved
from support.drivers.cryptopay import CryptopayDriver
from support.drivers.emulator import EmulatorControl
from support.drivers.merchant import Deposit, MerchantAdapter
from support.drivers.payers import Payer
from support.evidence.attachments import Evidence
from support.targets.settings import Settings


@given("Cryptopay ends each kind of unresolved deposit the way the merchant chose in its account:",
       target_fixture="policy_outcomes")
def policy_table(datatable: list[list[str]]) -> PolicyOutcomes:
    return read_policy_table(datatable)


@given(parsers.cfparse("the merchant's account does nothing itself with {context} deposits"))
def account_leaves_to_merchant(settings: Settings, context: str) -> None:
    context = context.replace(" ", "_")  # "paid late" is Cryptopay's paid_late
    declared = settings.unresolved_policy[context]
    if declared != "do_nothing":
        pytest.skip(f"the merchant's account is set to {declared.replace('_', ' ')} {context.replace('_', ' ')} "
                    "deposits, so Cryptopay resolves them itself; the item is proven by the policy scenario instead")


@given(parsers.cfparse("the customer's deposit is unresolved as {kind}"))
def deposit_unresolved(cryptopay: CryptopayDriver, control: EmulatorControl | None, payer: Payer, deposit: Deposit,
                       evidence: Evidence, kind: str, wait_timeout: float) -> None:
    leave_unresolved(kind.replace(" ", "_"), cryptopay, control, payer, deposit, evidence, wait_timeout)


@when(parsers.cfparse("the merchant resolves the deposit by {resolution}"), target_fixture="resolution")
def merchant_resolves(cryptopay: CryptopayDriver, deposit: Deposit, resolution: str, evidence: Evidence) -> dict:
    if resolution == "recalculation":
        result = cryptopay.client.create_recalculation(deposit.invoice_id, force_commit=True)
    elif resolution == "refund":
        result = cryptopay.client.create_refund(deposit.invoice_id)
    else:
        raise ValueError(f"unknown resolution {resolution!r}")
    evidence.attach_json(f"Resolution by {resolution}", result)
    return result


@then(parsers.cfparse("Cryptopay handles the {context} deposit as the merchant chose"))
def handled_as_declared(cryptopay: CryptopayDriver, control: EmulatorControl | None, merchant: MerchantAdapter,
                        settings: Settings, policy_outcomes: PolicyOutcomes, deposit: Deposit, context: str,
                        evidence: Evidence, wait_timeout: float) -> None:
    context = context.replace(" ", "_")  # "paid late" is Cryptopay's paid_late
    declared = settings.unresolved_policy[context]
    expected = policy_outcomes.outcome(declared, context)
    evidence.name_choice(f"the merchant chose for {context.replace('_', ' ')} deposits", declared.replace("_", " "))
    invoice = reported(DEPOSITS, cryptopay, control, deposit, expected, wait_timeout)
    recorded = recorded_as(DEPOSITS, merchant, deposit, expected, wait_timeout,
                           all_answered([deposit.invoice_id], control))
    evidence.attach_json("Declared policy and observed outcome", {
        "context": context, "declared_policy": declared,
        "expected": {"status": expected.status, "status_context": expected.context},
        "cryptopay": {"status": invoice["status"], "status_context": invoice["status_context"]},
        "merchant": recorded})
