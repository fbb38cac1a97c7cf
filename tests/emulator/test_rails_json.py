"""Callback bodies are rendered like Cryptopay's Rails encoder, so no re-serialisation of the parsed body matches."""
from __future__ import annotations

import itertools
import json
from decimal import Decimal

import pytest

from cryptopay_client.rails_json import rails_json
from support.drivers.callbacks import callback_body
from tests.emulator.test_callbacks import EUR_BTC

TEXT = "Dépôt <café> & crème — a"


def test_known_answer() -> None:
    payload = {"type": "Invoice", "event": "status_changed",
               "data": {"id": "x", "status": "completed", "description": TEXT, "metadata": None,
                        "transactions": [{"risk": {"score": Decimal("7.3"), "level": "medium"}}]}}
    expected = ('{"type": "Invoice", "event": "status_changed", "data": {"id": "x", "status": "completed", '
                '"description": "Dépôt \\u003ccafé\\u003e \\u0026 crème — a", "metadata": null, '
                '"transactions": [{"risk": {"score": 7.3, "level": "medium"}}]}}').encode("utf-8")
    assert rails_json(payload) == expected


def test_keys_keep_the_order_given_and_the_js_line_separators_are_escaped() -> None:
    assert rails_json({"b": 1, "a": "x\u2028y\u2029"}) == b'{"b": 1, "a": "x\\u2028y\\u2029"}'


def test_it_parses_back_to_the_same_payload() -> None:
    payload = {"z": TEXT, "a": ["<>&", "ü"], "n": None, "t": True}
    assert json.loads(rails_json(payload)) == payload


def test_risk_scores_are_numbers_and_unknown_types_are_refused() -> None:
    assert rails_json({"score": Decimal("2.1")}) == b'{"score": 2.1}'
    with pytest.raises(TypeError):
        rails_json({"when": object()})


@pytest.mark.parametrize(("ensure_ascii", "separators", "sort_keys"), list(itertools.product(
    (True, False), ((",", ":"), (", ", ": "), None), (False, True))))
def test_no_re_serialisation_reproduces_a_body_with_such_text(ensure_ascii, separators, sort_keys) -> None:
    raw = callback_body("status_changed", {"id": "x", "status": "completed", "description": TEXT})
    again = json.dumps(json.loads(raw), ensure_ascii=ensure_ascii, separators=separators, sort_keys=sort_keys)
    assert again.encode("utf-8") != raw


def test_the_suite_and_the_emulator_render_alike(live, receiver) -> None:
    """The emulator carries the deposit's description into the invoice and every callback, Rails-encoded."""
    merchant, url = receiver
    emu = live(callback_url=url)
    invoice = emu.client.create_invoice(**EUR_BTC, description=TEXT)
    assert invoice["description"] == TEXT == emu.client.retrieve_invoice(invoice["id"])["description"]
    raw = merchant.wait_for(1)[0]["body"]
    assert b"\\u003ccaf\xc3\xa9\\u003e \\u0026 cr\xc3\xa8me" in raw and b", " in raw
    assert json.loads(raw)["data"]["description"] == TEXT
    assert raw == callback_body("created", json.loads(raw)["data"])  # the suite's own bodies are the same bytes
