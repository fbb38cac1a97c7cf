"""Steps about Cryptopay's notifications (callbacks) reaching the merchant."""
from __future__ import annotations

from pytest_bdd import parsers, then, when

from support.drivers.callbacks import CallbackSender
from support.drivers.cryptopay import CryptopayDriver
from support.drivers.emulator import EmulatorControl
from support.drivers.merchant import Deposit
from support.evidence import Evidence
from support.resend import ResendResult, resend_concurrently, resend_once


@when('Cryptopay sends the "completed" notification for that deposit again', target_fixture="resend")
def resend_completed(deposit: Deposit, control: EmulatorControl | None, cryptopay: CryptopayDriver,
                     callback_sender: CallbackSender, evidence: Evidence, wait_timeout: float) -> ResendResult:
    result = resend_once(deposit.invoice_id, control, cryptopay, callback_sender, wait_timeout)
    evidence.attach_json("Resent 'completed' notification", result.__dict__)
    return result


@when(parsers.cfparse('Cryptopay sends the "completed" notification for that deposit {times:d} times at once'),
      target_fixture="resend")
def resend_completed_concurrently(deposit: Deposit, times: int, control: EmulatorControl | None,
                                  cryptopay: CryptopayDriver, callback_sender: CallbackSender,
                                  evidence: Evidence) -> ResendResult:
    result = resend_concurrently(deposit.invoice_id, times, control, cryptopay, callback_sender)
    evidence.attach_json("Concurrent 'completed' notifications", {
        "how": result.how, "merchant_answers": {str(c): result.answers.count(c) for c in set(result.answers)}})
    return result


@then("the merchant acknowledged every notification")
def acknowledged_all(resend: ResendResult) -> None:
    refused = [code for code in resend.answers if code != 200]
    assert not refused, (f"the merchant answered {refused} to {len(refused)} of {len(resend.answers)} notifications; "
                         "Cryptopay treats anything but 200 as a failure and keeps retrying")
