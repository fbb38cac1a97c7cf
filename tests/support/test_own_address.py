"""The account's own payout address: workers that open it at the same time all end with the one channel."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

from support.domain.payouts import own_address
from support.drivers.cryptopay import CryptopayDriver
from support.targets.pair import Credentials, start_emulator


def test_workers_opening_the_own_address_at_once_share_one_channel() -> None:
    with ExitStack() as stack:
        credentials = Credentials.fresh()
        emulator = start_emulator(stack, credentials, rate_limit_per_minute=0)
        drivers = [CryptopayDriver(emulator.url, credentials.api_key, credentials.api_secret, lambda _: None)
                   for _ in range(8)]
        with ThreadPoolExecutor(len(drivers)) as pool:
            found = list(pool.map(lambda driver: own_address(driver, "BTC", "certify-payouts-race"), drivers))
        channels = drivers[0].client.channels(custom_id="certify-payouts-race")["data"]
    assert {(d.address, d.channel_id) for d in found} == {(channels[0]["address"], channels[0]["id"])}
    assert len(channels) == 1
