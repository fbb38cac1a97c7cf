"""The Channels checklist's teeth: each deliberately broken channel merchant, run through every channel scenario,
fails the scenarios of the item it violates and no others (save those its defect necessarily touches, each named
with why), while the reference merchant passes every channel scenario. Issue 23's merchants, whose mistakes only
issue 23's scenarios show, run against the scenarios their defect touches only (CI time), and fail exactly those."""
from __future__ import annotations

from pathlib import Path

import pytest

from cryptopay_emulator.withdrawals import QUICK_STEP_SECONDS
from reference_merchant.channels import Channels
from tests.broken_merchants import VARIANTS
from tests.certification.harness import Verdicts, certification_stack, run_features

# Every channel scenario, serially: one standalone emulator's clock and delivery log serve the whole run.
CHANNELS = ("-m", "channels")
TIMEOUT = 420

HELD = "test_a_payment_to_a_deposit_address_from_a_highrisk_source_is_held_and_not_credited"
DECIDED = "test_the_monitoring_team_decides_a_held_payment_to_a_deposit_address_is_decision"
LEGITIMATE = f"{DECIDED}[legitimate-completed-the declared amount of the payment]"
ILLICIT = f"{DECIDED}[illicit-refunded-nothing]"
NOTHING = "test_a_payment_how_credits_nothing"
PENDING = f"{NOTHING}[that the network has not yet confirmed-pending]"
ON_HOLD = f"{NOTHING}[from a high-risk source-on hold (illicit resource)]"
DECLARED = "test_a_kind_payment_credits_the_declared_amount"
SAME_CURRENCY = f"{DECLARED}[same-currency-the same crypto]"
CONVERTED = f"{DECLARED}[converted-EUR]"
COMPLETED = "test_a_completed_payment_credits_the_customer"
RESENT = "test_cryptopay_sends_the_completed_notification_for_the_payment_again"
STORM = "test_cryptopay_sends_the_completed_notification_for_the_payment_50_times_at_once"
REFUSED = "test_a_kind_notification_of_a_completed_payment_is_refused"
BAD_NOTIFICATIONS = [f"{REFUSED}[{kind}]" for kind in ("forged", "tampered", "unsigned", "misdirected")]
OPENED = "test_the_merchant_gives_the_customer_a_personal_deposit_address"
ASKED_AGAIN = "test_a_customer_who_asks_again_keeps_the_same_deposit_address"
SEEN = "test_a_payment_to_the_customers_deposit_address_is_seen_by_cryptopay_and_by_the_merchant"
FOLLOWED = "test_every_notification_of_a_payment_is_acknowledged_and_followed"
SIGNED_OFF = "test_the_teams_that_handle_risk_holds_have_signed_off_on_channel_payments"
# Issue 23's scenarios: an address paid again, the first delivery stormed, late notifications, a hold that ends well,
# a notification before Cryptopay's answer, a status check that fails.
PAID_AGAIN = "test_the_customer_pays_their_deposit_address_again_the_same_amount"
FIRST_STORM = "test_the_very_first_completed_notification_of_a_payment_arrives_50_times_at_once"
LATE_ON_HOLD = "test_a_late_on_hold_notification_does_not_move_a_released_payment_back"
LATE_CREATED = "test_a_late_created_notification_does_not_move_a_completed_payment_back"
RELEASED = "test_a_held_payment_the_monitoring_team_releases_is_credited_once"
NOTIFIED_EARLY = "test_a_payment_notified_before_the_merchant_has_cryptopays_answer_for_the_address_is_credited"
CHECK_FAILED = "test_a_payment_whose_status_check_failed_once_is_still_credited"
ISSUE_23 = [PAID_AGAIN, FIRST_STORM, LATE_ON_HOLD, LATE_CREATED, RELEASED, NOTIFIED_EARLY, CHECK_FAILED]
# Everything that checks the declared amount once a payment completed (item 5's completed case, 6, 7, 8).
CREDITS_A_COMPLETED_PAYMENT = [COMPLETED, SAME_CURRENCY, CONVERTED, RESENT, STORM, LEGITIMATE]


class _ForgetsTheCustomer:
    """A Cryptopay client that leaves customer_id out when it creates a channel."""

    def __init__(self, client):
        self._client = client

    def __getattr__(self, name: str):
        return getattr(self._client, name)

    def create_channel(self, **params):
        params.pop("customer_id", None)
        return self._client.create_channel(**params)


class OpensChannelsForNobody(Channels):
    """Violates channels items 1 and 2: opens the channel without the customer's id, so Cryptopay cannot tell
    whose address it is, nor whose the payments to it are."""

    def __init__(self, engine, cryptopay):
        super().__init__(engine, cryptopay)
        self.cryptopay = _ForgetsTheCustomer(cryptopay)


BROKEN = {**VARIANTS, "opens_channels_for_nobody": {"channels_cls": OpensChannelsForNobody}}

# broken variant -> the scenarios that must fail against it (its item's), and no others
EXPECTED_FAILURES: dict[str, list[str]] = {
    "opens_channels_for_nobody": [OPENED, ASKED_AGAIN, SEEN],
    "skips_signature_check": BAD_NOTIFICATIONS,
    # Ignoring every notification: nothing recorded (items 3, 4) and nothing credited (5-8); only the scenarios
    # whose check is that nothing moved pass.
    "ignores_channel_payment_callbacks": [FOLLOWED, SEEN, HELD, LEGITIMATE, ILLICIT, *CREDITS_A_COMPLETED_PAYMENT],
    # Recording what Cryptopay reports is part of processing a notification (item 3) as well as item 4.
    "never_records_channel_payment_status": [FOLLOWED, SEEN, HELD, LEGITIMATE, ILLICIT],
    "credits_pending_channel_payment": [PENDING],
    "credits_held_channel_payment": [ON_HOLD, HELD, LEGITIMATE, ILLICIT],
    "credits_gross_when_declared_net": CREDITS_A_COMPLETED_PAYMENT,
    "recredits_resent_channel_completion": [RESENT, STORM],
}
# Issue 23's variants: (the scenarios their defect touches, the run's whole selection; the ones that must fail; the
# item the Why of the first names). Besides its own, a variant fails another where its defect shows there too: a
# merchant that takes a hold for the end never records the release either, so the late "on hold" finds it on hold.
ISSUE_23_DEFECTS: dict[str, tuple[list[str], list[str], int]] = {
    "keys_channel_credits_by_channel": ([PAID_AGAIN, COMPLETED, RESENT], [PAID_AGAIN], 5),
    # The storm after the first credit is caught by the check; only the very first delivery's storm is not.
    "check_then_insert_channel_credit": ([FIRST_STORM, STORM, RESENT], [FIRST_STORM], 7),
    "follows_channel_callback_body": ([LATE_ON_HOLD, LATE_CREATED, LEGITIMATE, ILLICIT], [LATE_ON_HOLD, LATE_CREATED], 4),
    "treats_channel_hold_as_final": ([RELEASED, LATE_ON_HOLD, COMPLETED], [RELEASED, LATE_ON_HOLD], 5),
    "ignores_unrecorded_channel": ([NOTIFIED_EARLY, SEEN], [NOTIFIED_EARLY], 3),
    "acknowledges_before_processing": ([CHECK_FAILED, COMPLETED], [CHECK_FAILED], 3),
}

# Scenarios a variant may fail besides its own, and why: a ledger without uniqueness credits again whenever two
# notifications of one payment (its "created" and "completed") both find it completed, as they do when the network
# confirms at once.
MAY_ALSO_FAIL: dict[str, list[str]] = {
    "recredits_resent_channel_completion": [COMPLETED, SAME_CURRENCY, CONVERTED, LEGITIMATE],
}


def _run(tmp_path: Path, merchant_kwargs: dict | None = None, *selection: str, **env: str) -> Verdicts:
    with certification_stack(tmp_path, merchant_kwargs) as stack:
        stack.env.update(env)
        return run_features(stack, tmp_path, *(selection or CHANNELS), timeout=TIMEOUT)


def _only(names: list[str]) -> tuple[str, ...]:
    return "-m", "channels", "-k", " or ".join(name.split("[")[0] for name in names)


# The variants written before issue 23 run through every channel scenario but issue 23's, which touch nothing of
# what they break (CI time); the reference merchant runs through every one.
BEFORE_ISSUE_23 = ("-m", "channels", "-k", f"not ({' or '.join(ISSUE_23)})")


def _shown(verdicts: Verdicts) -> str:
    failures = "\n".join(f"  {name}: {message[:300]}" for name, message in sorted(verdicts.failed.items()))
    return f"failed:\n{failures}\nskipped: {sorted(verdicts.skipped)}\n{verdicts.output[-2000:]}"


@pytest.mark.slow
@pytest.mark.parametrize("variant", sorted(EXPECTED_FAILURES))
def test_a_broken_channel_merchant_fails_exactly_its_items_scenarios(variant: str, tmp_path: Path) -> None:
    verdicts = _run(tmp_path, BROKEN[variant], *BEFORE_ISSUE_23)
    expected, failed = set(EXPECTED_FAILURES[variant]), set(verdicts.failed)
    unexpected = failed - expected - set(MAY_ALSO_FAIL.get(variant, []))
    assert verdicts.returncode != 0 and expected <= failed and not unexpected, (
        f"{variant}: should fail {sorted(expected)}; missing {sorted(expected - failed)}, "
        f"unexpected {sorted(unexpected)}\n{_shown(verdicts)}")


@pytest.mark.slow
@pytest.mark.parametrize("variant", sorted(ISSUE_23_DEFECTS))
def test_an_issue_23_merchant_fails_exactly_the_scenarios_its_defect_touches(variant: str, tmp_path: Path) -> None:
    selection, expected, item = ISSUE_23_DEFECTS[variant]
    verdicts = _run(tmp_path, BROKEN[variant], *_only(selection))
    assert set(verdicts.failed) == set(expected) and verdicts.passed | set(verdicts.failed) == set(selection), (
        f"{variant}: should fail {sorted(expected)} and pass the rest of {sorted(selection)}\n{_shown(verdicts)}")
    assert f"channels item {item})" in verdicts.failed[expected[0]], _shown(verdicts)


@pytest.mark.slow
def test_the_reference_merchant_passes_every_channel_scenario(tmp_path: Path) -> None:
    verdicts = _run(tmp_path)
    everything = {name for names in EXPECTED_FAILURES.values() for name in names} | {SIGNED_OFF} | set(ISSUE_23)
    assert verdicts.returncode == 0 and not verdicts.failed and not verdicts.skipped, _shown(verdicts)
    assert everything <= verdicts.passed, f"not run: {sorted(everything - verdicts.passed)}\n{_shown(verdicts)}"


@pytest.mark.slow
def test_a_merchant_that_credits_net_but_declared_gross_fails_every_credited_amount(tmp_path: Path) -> None:
    verdicts = _run(tmp_path, {"channel_credited_amount": "net"}, *BEFORE_ISSUE_23, CHANNEL_CREDITED_AMOUNT="gross")
    assert set(verdicts.failed) == set(CREDITS_A_COMPLETED_PAYMENT), _shown(verdicts)
    # For the right reason: the diagnosis names the amount credited and the one declared.
    assert all("credited the net amount" in verdicts.failed[name] and "declared gross" in verdicts.failed[name]
               for name in CREDITS_A_COMPLETED_PAYMENT), _shown(verdicts)


@pytest.mark.slow
def test_without_the_control_api_payments_are_sent_by_coin_withdrawal_and_the_rest_is_not_run(tmp_path: Path) -> None:
    """Real mode: the sandbox detects a coin withdrawal of the same account to a channel address as a payment."""
    # Its time runs by itself at the standalone emulator's quick pace, as nobody will move it.
    with certification_stack(tmp_path, driven_time=False, withdrawal_step_seconds=QUICK_STEP_SECONDS) as stack:
        del stack.env["EMULATOR_CONTROL_URL"]
        stack.env.update(PAYER="coin_withdrawal", WAIT_TIMEOUT_SECONDS="30")
        verdicts = run_features(stack, tmp_path, *CHANNELS, timeout=TIMEOUT)
    needs_control = {HELD, LEGITIMATE, ILLICIT, PENDING, ON_HOLD, FOLLOWED, *set(ISSUE_23) - {PAID_AGAIN}}
    assert verdicts.returncode == 0 and not verdicts.failed, _shown(verdicts)
    assert set(verdicts.skipped) == needs_control, _shown(verdicts)
    assert set(CREDITS_A_COMPLETED_PAYMENT) - needs_control | {SEEN, OPENED, ASKED_AGAIN, PAID_AGAIN,
                                                               *BAD_NOTIFICATIONS} <= verdicts.passed, _shown(verdicts)


@pytest.mark.slow
def test_a_signoff_without_the_channels_section_fails_only_the_channels_signoff(tmp_path: Path) -> None:
    signoff = tmp_path / "invoices-only-signoff.yml"
    signoff.write_text("acknowledgements:\n" + "".join(
        f"  - team: {team}\n    name: Ada {team}\n    date: 2026-01-05\n"
        f"    acknowledged: Held payments are reviewed by Cryptopay; we credit nothing while they are held.\n"
        for team in ("Support", "Finance", "Fraud", "Transaction Monitoring")), encoding="utf-8")
    with certification_stack(tmp_path) as stack:
        stack.env["GO_LIVE_SIGNOFF_FILE"] = str(signoff)
        verdicts = run_features(stack, tmp_path, "-m", "channels_8", timeout=TIMEOUT)
    assert set(verdicts.failed) == {SIGNED_OFF}, _shown(verdicts)
    assert "no 'channels:' section" in verdicts.failed[SIGNED_OFF], _shown(verdicts)
