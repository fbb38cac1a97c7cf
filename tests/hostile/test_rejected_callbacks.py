"""A flood of unsigned callbacks costs the reference merchant a fixed amount of disk: a count and the latest few, each
cut short, while signed callbacks stay whole for the suite's evidence (issue 21, point 13)."""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterator

import pytest
import requests
from sqlalchemy import text

from reference_merchant.callbacks import REJECTED_KEPT, REJECTED_PREFIX
from tests.merchant.harness import Shop, running_shop, sqlite_url

FLOOD = 400
BODY_BYTES = 20_000


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[Shop]:
    with running_shop(sqlite_url(tmp_path)) as started:
        yield started


def database_bytes(shop: Shop) -> int:
    """What the database holds once the write-ahead log is folded in (its pages, free ones included)."""
    with shop.engine.connect() as conn:
        conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        return conn.execute(text("PRAGMA page_count")).scalar() * conn.execute(text("PRAGMA page_size")).scalar()


def unsigned(number: int) -> bytes:
    head = f'{{"type":"Invoice","event":"status_changed","n":{number},"pad":"'.encode()
    return head + b"x" * (BODY_BYTES - len(head) - 2) + b'"}'


def test_a_flood_of_unsigned_20_kb_callbacks_is_counted_and_kept_short(shop: Shop) -> None:
    before = database_bytes(shop)

    def post(number: int) -> int:
        return requests.post(shop.callback_url, data=unsigned(number), timeout=30,
                             headers={"Content-Type": "application/json"}).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert set(pool.map(post, range(1, FLOOD + 1))) == {401}
    grown = database_bytes(shop) - before
    assert grown < 1_000_000, f"{FLOOD} rejected callbacks of {BODY_BYTES} bytes grew the database by {grown} bytes"
    with shop.engine.connect() as conn:
        total = conn.execute(text("SELECT total FROM rejected_callback_count")).scalar()
        kept = conn.execute(text("SELECT number, answered_status, body_bytes, LENGTH(body_prefix) AS prefix "
                                 "FROM rejected_callbacks ORDER BY number")).mappings().all()
        in_log = conn.execute(text("SELECT COUNT(*) FROM callback_log")).scalar()
    assert total == FLOOD and in_log == 0
    assert len(kept) == REJECTED_KEPT and kept[-1]["number"] == FLOOD  # the latest ones
    assert all(row["answered_status"] == 401 and row["body_bytes"] == BODY_BYTES
               and row["prefix"] == REJECTED_PREFIX for row in kept)


def test_signed_callbacks_after_a_flood_are_still_logged_whole_and_listed(shop: Shop) -> None:
    for number in range(REJECTED_KEPT + 5):
        assert requests.post(shop.callback_url, data=unsigned(number), timeout=30).status_code == 401
    invoice_id = shop.deposit("pia")
    shop.wait_delivered(invoice_id)
    logged = shop.callbacks(invoice_id)
    assert logged and all(c["signature_valid"] and c["answered_status"] == 200 for c in logged)
    assert json.loads(logged[0]["raw_body"])["data"]["id"] == invoice_id  # whole, as received
