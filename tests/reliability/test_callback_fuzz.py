"""Fuzzes the reference merchant's callback endpoint: arbitrary bodies and signatures never get a 5xx and never
change money or deposits, whether the signature is missing, wrong, or valid over garbage."""
from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import text

from tests.merchant.harness import running_shop, sqlite_url

_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=40),
                     st.sampled_from(["completed", "unresolved", "Invoice", "status_changed", "100.0", ""]))
_json = st.recursive(_scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                      st.dictionaries(st.text(max_size=12), inner, max_size=5)),
                     max_leaves=12)


def _callback_like(invoice_id: str):
    """Bodies shaped like callbacks about a real deposit, with every field free to be wrong."""
    data = st.fixed_dictionaries({"id": st.one_of(st.just(invoice_id), _scalars)},
                                 optional={"status": _scalars, "price_amount": _scalars, "custom_id": _scalars})
    return st.fixed_dictionaries({"type": st.one_of(st.just("Invoice"), _scalars),
                                  "event": st.one_of(st.sampled_from(["status_changed", "transaction_confirmed"]),
                                                     _scalars),
                                  "data": st.one_of(data, _json)})


def test_no_input_to_the_callback_endpoint_gets_a_5xx_or_moves_money(tmp_path: Path) -> None:
    with running_shop(sqlite_url(tmp_path)) as shop:
        invoice_id = shop.deposit("fuzz-customer")
        shop.wait_delivered(invoice_id)
        shop.pause_deliveries()  # from here on, only the fuzzer talks to the merchant

        def snapshot() -> tuple:
            with shop.engine.connect() as conn:
                return (conn.execute(text("SELECT COUNT(*) FROM credits")).scalar(),
                        tuple(conn.execute(text("SELECT status, status_context FROM deposits")).all()))

        before = snapshot()
        bodies = st.one_of(st.binary(max_size=300),
                           _json.map(lambda v: json.dumps(v).encode()),
                           _callback_like(invoice_id).map(lambda v: json.dumps(v).encode()))

        @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(body=bodies, signing=st.sampled_from(["valid", "missing", "wrong"]))
        def one(body: bytes, signing: str) -> None:
            signature = {"valid": "sign", "missing": None, "wrong": "0" * 64}[signing]
            response = shop.post_callback(body, signature)
            assert response.status_code < 500, (body, signing, response.status_code, response.text)
            if signing != "valid":
                assert 400 <= response.status_code < 500

        one()
        assert snapshot() == before, "rejected or meaningless callbacks must not change credits or deposits"
