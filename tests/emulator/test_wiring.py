"""What changes after start is set through the emulator's public methods, and nobody reaches into its parts."""
from __future__ import annotations

import re
from pathlib import Path

from tests.emulator.conftest import Receiver

ROOT = Path(__file__).resolve().parents[2]
EUR_BTC = {"price_amount": "100.0", "price_currency": "EUR", "pay_currency": "BTC"}
REACHING_IN = re.compile(r"deliverer\.(_?endpoint)|\.hosted_base_url\s*=|\.backends?\.account\.hosted")


def test_set_public_url_moves_hosted_pages(live) -> None:
    emu = live(run_scheduler=False)
    emu.app.set_public_url("https://emulator.example/")
    invoice = emu.client.create_invoice(**EUR_BTC)
    assert invoice["hosted_page_url"] == f"https://emulator.example/hosted/invoices/{invoice['id']}"


def test_set_callback_url_takes_effect_for_the_next_delivery(live, receiver: tuple[Receiver, str]) -> None:
    merchant, url = receiver
    emu = live()
    assert emu.app.callback_url is None
    emu.app.set_callback_url(url)
    assert emu.app.callback_url == url and emu.control("GET", "/settings").json()["callback_url"] == url
    invoice = emu.client.create_invoice(**EUR_BTC)
    assert invoice["id"].encode() in merchant.wait_for(1)[0]["body"]


def test_no_code_outside_the_emulator_reaches_into_its_parts() -> None:
    offenders = [f"{path.relative_to(ROOT)}:{n}" for folder in ("support", "tests", "steps", "scripts", "benchmarks")
                 for path in (ROOT / folder).rglob("*.py") if path != Path(__file__)
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if REACHING_IN.search(line)]
    assert not offenders, "use EmulatorApp.set_callback_url / set_public_url instead: " + ", ".join(offenders)
