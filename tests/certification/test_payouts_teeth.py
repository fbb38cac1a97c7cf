"""The Payouts checklist's teeth: each deliberately broken payout merchant fails exactly the scenarios of the item it
violates, while the reference merchant passes every payout scenario."""
from __future__ import annotations

from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from support.pair import Credentials, start_pair
from tests.certification.harness import Stack, Verdicts, own_signoff, run_features

# Emulated seconds between a withdrawal's steps (pending → processing → sent → completed): long enough for the
# suite to fail or hold a payout before it is broadcast, short enough that a payout completes in a few seconds.
STEP_SECONDS = 0.5


@contextmanager
def payout_stack(workdir: Path, merchant_kwargs: dict | None = None,
                 declared_field: str = "charged_amount") -> Iterator[Stack]:
    """An emulator that sends coin-withdrawal notifications (opt-in, as on the dashboard) and takes time between
    a withdrawal's steps, and a merchant wired to it; the suite's .env declares `declared_field`."""
    with ExitStack() as stack:
        pair = start_pair(stack, f"sqlite:///{workdir / 'merchant.sqlite3'}", Credentials.fresh(), merchant_kwargs,
                          rate_limit_per_minute=0, coin_withdrawal_callbacks=True,
                          withdrawal_step_seconds=STEP_SECONDS)
        creds, merchant = pair.credentials, pair.merchant
        yield Stack({"CRYPTOPAY_API_URL": pair.emulator.url, "CRYPTOPAY_API_KEY": creds.api_key,
                     "CRYPTOPAY_API_SECRET": creds.api_secret, "CRYPTOPAY_CALLBACK_SECRET": creds.callback_secret,
                     "MERCHANT_PROBE_URL": merchant.probe_url, "MERCHANT_CALLBACK_URL": merchant.callback_url,
                     "MERCHANT_PROBE_TOKEN": creds.probe_token, "EMULATOR_CONTROL_URL": pair.emulator.control_url,
                     "GO_LIVE_SIGNOFF_FILE": str(own_signoff(workdir)), "PAYOUT_AMOUNT_FIELD": declared_field},
                    creds.values())


def run_payouts(workdir: Path, merchant_kwargs: dict | None = None, declared_field: str = "charged_amount") -> Verdicts:
    with payout_stack(workdir, merchant_kwargs, declared_field) as stack:
        return run_features(stack, workdir, "-m", "payouts", timeout=600)


@pytest.mark.slow
@pytest.mark.parametrize("declared_field", ["charged_amount", "charged_amount_to_send"])
def test_the_reference_merchant_passes_every_payout_scenario(declared_field: str, tmp_path: Path) -> None:
    verdicts = run_payouts(tmp_path, {"payout_amount_field": declared_field}, declared_field)
    assert verdicts.returncode == 0 and not verdicts.failed and not verdicts.skipped, verdicts.output[-4000:]
    assert len(verdicts.passed) >= 17, sorted(verdicts.passed)
