"""Fixtures a product's steps share: the channels' credit rule and payer, the payouts' high-risk destination."""
from __future__ import annotations

import pytest

from support.domain.channels import DEFAULT_CREDIT_RULE, CreditRule
from support.domain.payouts import Destination
from support.drivers.cryptopay import CryptopayDriver
from support.drivers.emulator import EmulatorControl
from support.drivers.payers import ChannelPayer, PaymentNotPossible, build_channel_payer
from support.targets.settings import Settings


@pytest.fixture
def credit_rule() -> CreditRule:
    """What net and gross mean; a feature that states the rule as a table on its page replaces this."""
    return DEFAULT_CREDIT_RULE


@pytest.fixture
def channel_payer(settings: Settings, control: EmulatorControl | None, cryptopay: CryptopayDriver) -> ChannelPayer:
    try:
        return build_channel_payer(settings, control, cryptopay)
    except PaymentNotPossible as exc:
        pytest.skip(f"no way to pay a deposit address on this target: {exc}")


@pytest.fixture
def high_risk_destination() -> Destination | None:
    """None unless a step declared the customer's address high-risk (then that step's Destination)."""
    return None
