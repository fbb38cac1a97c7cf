"""Channels and channel payments (docs/cryptopay-channels-payouts-facts.md §1-§8): the endpoints, the recorded key
orders and amounts, every status with its ledger effect and callback, the control API, and payment by withdrawal."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest
import requests

from cryptopay_client import CryptopayError
from cryptopay_client.signing import HmacAuth
from support.drivers.waiting import wait_until
from tests.emulator.conftest import KEY, SECRET, LiveEmulator
from tests.emulator.shapes import RECORDINGS, shape_differences

CHANNEL_KEYS = ["id", "status", "name", "description", "receiver_currency", "pay_currency", "address", "network",
                "project_id", "custom_id", "customer_id", "uri", "hosted_page_url"]  # RB-cas create.yml (§2)
PAYMENT_KEYS = ["id", "paid_amount", "paid_currency", "received_amount", "received_currency", "fee", "fee_currency",
                "txid", "exchange", "status", "status_context", "refund_address", "coin_withdrawal_id", "custom_id",
                "customer_id", "channel_id", "address", "network", "risk", "created_at"]  # RB-cas (§3)


def balance(emu: LiveEmulator, currency: str) -> Decimal:
    return Decimal(emu.control("GET", "/balances").json()["data"][currency])


def pay(emu: LiveEmulator, address: str, amount: str, risk_level: str = "low", confirmed: bool = True) -> dict:
    answer = emu.control("POST", "/payments", {"address": address, "amount": amount, "risk_level": risk_level,
                                               "confirmed": confirmed})
    assert answer.status_code == 201, answer.text
    return answer.json()["data"]


def deliveries(emu: LiveEmulator, object_id: str) -> list[dict]:
    return emu.control("GET", f"/deliveries?object_id={object_id}").json()["data"]


def ledger_rows(emu: LiveEmulator, reference_id: str) -> list[dict]:
    rows = emu.client._call("GET", "/api/transactions", query={"reference_type": "ChannelPayment"})["data"]
    return [row for row in rows if row["reference_id"] == reference_id]


def xrp_channel(emu: LiveEmulator, **extra) -> dict:
    """The JV-fix channel: XRP paid, EUR received, at the recorded rate 0.813254 XRPEUR."""
    assert emu.control("PUT", "/rates/XRP/EUR", {"rate": "0.813254"}).status_code == 200
    return emu.client.create_channel(name="Channel name", pay_currency="XRP", receiver_currency="EUR", **extra)


def test_create_answers_201_with_the_recorded_keys_in_order_and_reads_back_every_way(emu) -> None:
    made = emu.client.create_channel(name="Channel name", pay_currency="BTC", receiver_currency="EUR",
                                     custom_id="CHANNEL-123", customer_id="cust-1")
    assert list(made) == CHANNEL_KEYS
    assert (made["status"], made["network"], made["uri"]) == ("enabled", "bitcoin", f"bitcoin:{made['address']}")
    assert made["hosted_page_url"].endswith(f"/channels/{made['id']}")
    assert emu.client.channel(made["id"]) == made == emu.client.channel_by_custom_id("CHANNEL-123")
    status = emu.client._send("POST", "/api/channels", {"name": "0", "pay_currency": "ETH",
                                                        "receiver_currency": "BTC"}, None)[0]
    assert status == 201  # the sandbox accepts the name "0" (§2)


def test_refusals_are_the_documented_ones_and_change_nothing(emu) -> None:
    with pytest.raises(CryptopayError) as bad_id:
        emu.client.channel("not-a-uuid")
    assert (bad_id.value.status, bad_id.value.details[0]["code"], bad_id.value.details[0]["target"]) == \
        (422, "must_be_uuid", "channel_id")  # PHP-data channel_id_wrong_format.json
    with pytest.raises(CryptopayError) as unknown:
        emu.client.channel("00000000-0000-4000-8000-000000000000")
    assert unknown.value.status == 404
    with pytest.raises(CryptopayError) as invalid:
        emu.client.create_channel(pay_currency="FOO", receiver_currency="EUR")
    assert {d["target"] for d in invalid.value.details} == {"name", "pay_currency"}
    emu.client.create_channel(name="a", pay_currency="BTC", receiver_currency="EUR", custom_id="same")
    with pytest.raises(CryptopayError) as duplicate:
        emu.client.create_channel(name="b", pay_currency="BTC", receiver_currency="EUR", custom_id="same")
    assert duplicate.value.status == 409
    assert emu.client.channels()["meta"]["total"] == 1


def test_the_list_pages_newest_first_by_starting_after_and_filters_by_customer(emu) -> None:
    made = [emu.client.create_channel(name=f"c{i}", pay_currency="BTC", receiver_currency="EUR",
                                      customer_id="alice" if i % 2 else "bob") for i in range(52)]
    first = emu.client.channels()
    assert [c["id"] for c in first["data"]] == [c["id"] for c in reversed(made)][:50]
    assert first["meta"] == {"total": 52, "has_more": True}
    rest = emu.client.channels(starting_after=first["data"][-1]["id"])
    assert [c["id"] for c in rest["data"]] == [made[1]["id"], made[0]["id"]] and not rest["meta"]["has_more"]
    alice = emu.client.channels(customer_id="alice")
    assert alice["meta"]["total"] == 26 and {c["customer_id"] for c in alice["data"]} == {"alice"}


def test_update_enables_and_disables_and_changes_only_what_is_given(emu) -> None:
    made = emu.client.create_channel(name="n", pay_currency="BTC", receiver_currency="EUR", custom_id="keep")
    disabled = emu.client.update_channel(made["id"], status="disabled")
    assert {**made, "status": "disabled"} == disabled
    renamed = emu.client.update_channel(made["id"], status="enabled", name="new name", description="d")
    assert (renamed["status"], renamed["name"], renamed["description"], renamed["custom_id"]) == \
        ("enabled", "new name", "d", "keep")
    with pytest.raises(CryptopayError) as bad:
        emu.client.update_channel(made["id"], status="paused")
    assert bad.value.status == 422 and emu.client.channel(made["id"])["status"] == "enabled"


def test_a_confirmed_payment_completes_with_the_recorded_conversion_and_is_credited(emu) -> None:
    channel = xrp_channel(emu, custom_id="CH-1", customer_id="cust-1")
    before = balance(emu, "EUR")
    seen = pay(emu, channel["address"], "24.266207", confirmed=False)
    assert list(seen) == PAYMENT_KEYS[:8] + PAYMENT_KEYS[9:]  # no exchange until completed
    assert (seen["status"], seen["received_amount"], seen["fee"], seen["risk"]) == ("pending", "0.0", "0.0", None)
    assert (seen["custom_id"], seen["customer_id"], seen["channel_id"]) == ("CH-1", "cust-1", channel["id"])
    assert balance(emu, "EUR") == before
    emu.control("POST", f"/transactions/{seen['txid']}/confirm")
    done = emu.client.channel_payment(channel["id"], seen["id"])
    assert list(done) == PAYMENT_KEYS
    # JV-fix a0150f60: gross floor(24.266207 × 0.813254) = 19.73, fee ceil(1%) = 0.2, received 19.53 (§5)
    assert (done["status"], done["received_amount"], done["fee"], done["fee_currency"]) == \
        ("completed", "19.53", "0.2", "EUR")
    assert done["exchange"] == {"pair": "XRPEUR", "rate": "0.813254", "fee": "0.0", "fee_currency": "EUR"}
    assert done["risk"]["level"] == "low" and done["created_at"] == seen["created_at"]
    assert balance(emu, "EUR") == before + Decimal("19.53")
    row, = ledger_rows(emu, done["id"])
    assert (row["amount"], row["fee"], row["status"]) == ("19.53", "0.2", "completed")
    assert emu.client.channel_payments(channel["id"])["data"] == [done]


def test_a_same_currency_payment_keeps_paid_equal_to_received_plus_fee(emu) -> None:
    channel = emu.client.create_channel(name="btc", pay_currency="BTC", receiver_currency="BTC")
    done = pay(emu, channel["address"], "0.003")  # PHP-data 97aef8f1
    assert (done["received_amount"], done["fee"], "exchange" in done) == ("0.00297", "0.00003", False)
    assert Decimal(done["paid_amount"]) == Decimal(done["received_amount"]) + Decimal(done["fee"])


def test_the_documented_worked_examples_of_channel_amounts(emu) -> None:
    """§5's table: every recorded conversion."""
    cases = [("BTC", "EUR", "57192.7353", "0.00184519", "104.47", "1.06"),
             ("BTC", "EUR", "57356.375", "0.00184519", "104.77", "1.06"),
             ("ETH", "EUR", "3512.7809", "0.00275953", "9.59", "0.1"),
             ("BTC", "EUR", "4912.8021", "0.02", "97.26", "0.99")]
    for pay_currency, receive, rate, paid, received, fee in cases:
        emu.control("PUT", f"/rates/{pay_currency}/{receive}", {"rate": rate})
        channel = emu.client.create_channel(name="x", pay_currency=pay_currency, receiver_currency=receive)
        done = pay(emu, channel["address"], paid)
        assert (done["received_amount"], done["fee"]) == (received, fee), (rate, paid)


def test_a_high_risk_payment_is_held_uncredited_until_the_monitoring_team_decides(emu) -> None:
    channel = xrp_channel(emu)
    before = balance(emu, "EUR")
    held = pay(emu, channel["address"], "24.266207", risk_level="high")
    assert (held["status"], held["status_context"], held["received_amount"], held["fee"]) == \
        ("on_hold", "illicit_resource", "0.0", "0.0")
    assert "exchange" not in held and held["risk"]["level"] == "high" and balance(emu, "EUR") == before
    row, = ledger_rows(emu, held["id"])
    assert (row["amount"], row["fee"], row["status"], row["status_context"]) == \
        ("0.0", "0.0", "on_hold", "illicit_resource")
    decided = emu.control("POST", f"/channel_payments/{held['id']}/monitoring_decision", {"outcome": "completed"})
    assert decided.json()["data"]["status"] == "completed" and balance(emu, "EUR") == before + Decimal("19.53")
    again = emu.control("POST", f"/channel_payments/{held['id']}/monitoring_decision", {"outcome": "refunded"})
    assert again.status_code == 422  # completed is final

    second = pay(emu, channel["address"], "1.0", risk_level="high")
    refunded = emu.control("POST", f"/channel_payments/{second['id']}/monitoring_decision",
                           {"outcome": "refunded"}).json()["data"]
    assert (refunded["status"], refunded["received_amount"]) == ("refunded", "0.0")
    assert balance(emu, "EUR") == before + Decimal("19.53")
    assert [e["event"] for e in deliveries(emu, second["id"])] == ["created", "on_hold", "refunded"]


def test_a_payment_to_a_disabled_channel_is_held_without_risk(emu) -> None:
    channel = emu.client.create_channel(name="off", pay_currency="BTC", receiver_currency="EUR")
    emu.client.update_channel(channel["id"], status="disabled")
    held = pay(emu, channel["address"], "0.001")
    assert (held["status"], held["status_context"], held["risk"]) == ("on_hold", "channel_disabled", None)


def test_a_payment_never_confirmed_is_cancelled_after_14_days(emu) -> None:
    channel = emu.client.create_channel(name="slow", pay_currency="BTC", receiver_currency="EUR")
    seen = pay(emu, channel["address"], "0.001", confirmed=False)
    emu.control("POST", "/clock/advance", {"seconds": 14 * 86400 - 1})
    assert emu.client.channel_payment(channel["id"], seen["id"])["status"] == "pending"
    emu.control("POST", "/clock/advance", {"seconds": 1})
    assert emu.client.channel_payment(channel["id"], seen["id"])["status"] == "cancelled"
    assert emu.control("POST", f"/transactions/{seen['txid']}/confirm").status_code == 404


def test_callbacks_are_named_after_the_new_status_with_the_recorded_body(emu) -> None:
    channel = xrp_channel(emu)
    seen = pay(emu, channel["address"], "24.266207", confirmed=False)
    emu.control("POST", f"/transactions/{seen['txid']}/confirm")
    logged = deliveries(emu, seen["id"])
    assert [(d["type"], d["event"], d["status"]) for d in logged] == \
        [("ChannelPayment", "created", "pending"), ("ChannelPayment", "completed", "completed")]
    recorded = json.loads((RECORDINGS / "callbacks" / "channel_payment.json").read_text())
    created, completed = (json.loads(d["body"]) for d in logged)
    assert list(completed["data"]) == list(recorded["data"])  # keys and order of RB-fix channel_payment.json
    assert list(completed["data"]["exchange"]) == ["pair", "rate"]
    assert "exchange" not in created["data"] and created["data"]["risk"] is None  # JV-fix `created`
    assert (completed["data"]["received_amount"], completed["data"]["fee"]) == ("19.53", "0.2")


def test_payment_lists_page_and_refuse_another_channels_payment(emu) -> None:
    channel = emu.client.create_channel(name="p", pay_currency="BTC", receiver_currency="EUR")
    other = emu.client.create_channel(name="q", pay_currency="BTC", receiver_currency="EUR")
    made = [pay(emu, channel["address"], "0.001") for _ in range(3)]
    page = emu.client.channel_payments(channel["id"], starting_after=made[2]["id"])
    assert [p["id"] for p in page["data"]] == [made[1]["id"], made[0]["id"]]
    assert page["meta"] == {"total": 3, "has_more": False}
    with pytest.raises(CryptopayError) as foreign:
        emu.client.channel_payment(other["id"], made[0]["id"])
    assert foreign.value.status == 404


def test_a_withdrawal_of_the_account_to_its_channel_address_becomes_a_channel_payment_once_sent(emu) -> None:
    """§8: the sandbox detects its own withdrawal as a channel payment; paid_amount is the withdrawal's received."""
    channel = emu.client.create_channel(name="own", pay_currency="BTC", receiver_currency="BTC")
    sent = emu.client.create_coin_withdrawal(address=channel["address"], charged_currency="BTC",
                                             received_currency="BTC", charged_amount="0.01", force_commit=True)
    emu.control("POST", "/clock/advance", {"seconds": 2})  # processing, then sent
    assert emu.client.retrieve_coin_withdrawal(sent["id"])["status"] == "sent"
    assert emu.client.channel_payments(channel["id"])["data"] == []  # not detected yet
    emu.control("POST", "/clock/advance", {"seconds": 1})
    detected, = emu.client.channel_payments(channel["id"])["data"]
    txid = emu.client.retrieve_coin_withdrawal(sent["id"])["txid"]
    assert (detected["status"], detected["txid"], detected["paid_amount"]) == ("pending", txid, sent["received_amount"])
    emu.control("POST", "/clock/advance", {"seconds": 1})
    done = emu.client.channel_payment(channel["id"], detected["id"])
    assert done["status"] == "completed"
    assert Decimal(done["received_amount"]) + Decimal(done["fee"]) == Decimal(sent["received_amount"])


def test_a_withdrawal_in_another_coin_than_the_channels_does_not_pay_it(emu) -> None:
    channel = emu.client.create_channel(name="eth", pay_currency="ETH", receiver_currency="EUR")
    emu.client.create_coin_withdrawal(address=channel["address"], charged_currency="BTC", received_currency="BTC",
                                      charged_amount="0.01", force_commit=True)
    emu.control("POST", "/clock/advance", {"seconds": 10})
    assert emu.client.channel_payments(channel["id"])["data"] == []


def test_without_control_a_running_emulator_detects_the_withdrawal_and_completes_the_payment(live) -> None:
    """Real mode against an emulator with no control API: the scheduler alone plays the network (§8)."""
    started = live(control_enabled=False, time_scale=50.0, withdrawal_step_seconds=5.0)
    client = started.client
    assert started.control("GET", "/health").status_code == 404
    channel = client.create_channel(name="own", pay_currency="BTC", receiver_currency="EUR")
    sent = client.create_coin_withdrawal(address=channel["address"], charged_currency="BTC",
                                         received_currency="BTC", charged_amount="0.01", force_commit=True)
    assert sent["status"] == "pending"
    done = wait_until(lambda: client.channel_payments(channel["id"])["data"],
                      lambda page: bool(page) and page[0]["status"] == "completed", timeout=10,
                      expected="the withdrawal to the channel address detected and completed by the scheduler")
    assert done[0]["paid_amount"] == sent["received_amount"] and done[0]["exchange"]["pair"] == "BTCEUR"


def sandbox(name: str) -> dict:
    return json.loads((RECORDINGS / "sandbox-ruby" / f"{name}.json").read_text())["interactions"][0]


def replay(emu: LiveEmulator, interaction: dict, ids: dict[str, str]) -> requests.Response:
    """The recorded request byte for byte, as the Ruby client sent it, signed with the emulator's key."""
    path = interaction["path"]
    for recorded_id, our_id in ids.items():
        path = path.replace(recorded_id, our_id)
    body = interaction["body"].encode() if interaction["body"] else None
    return requests.request(interaction["method"], emu.url + path, data=body, auth=HmacAuth(KEY, SECRET), timeout=10)


def test_channels_and_payments_have_the_recorded_shapes_field_by_field(emu) -> None:
    """RB-cas channels/create.yml, update.yml and list_payments.yml (completed, then on_hold/illicit_resource)."""
    create = sandbox("channels_create")
    made = replay(emu, create, {})
    assert made.status_code == create["status"] == 201
    channel, theirs = made.json()["data"], create["response"]["data"]
    assert shape_differences({**theirs, "network": "bitcoin"}, channel) == []  # 2021 create lacked `network`
    assert {k: channel[k] for k in ("status", "name", "description", "receiver_currency", "pay_currency")} == \
        {k: theirs[k] for k in ("status", "name", "description", "receiver_currency", "pay_currency")}
    update = sandbox("channels_update")
    answer = replay(emu, update, {update["response"]["data"]["id"]: channel["id"]})
    assert answer.status_code == update["status"] == 200
    disabled = answer.json()["data"]
    assert shape_differences(update["response"]["data"], disabled) == []
    assert list(disabled) == list(update["response"]["data"])
    emu.client.update_channel(channel["id"], status="enabled")
    emu.control("PUT", "/rates/BTC/EUR", {"rate": "57192.7353"})
    done = pay(emu, channel["address"], "0.00184519")
    held = pay(emu, channel["address"], "0.00184519", risk_level="high")
    listed = sandbox("channels_list_payments")["response"]
    completed, on_hold = listed["data"][0], listed["data"][2]
    assert shape_differences(completed, done) == [] and list(done) == list(completed)
    assert shape_differences(on_hold, held) == [] and list(held) == list(on_hold)
    assert (done["received_amount"], done["fee"], done["exchange"]) == \
        (completed["received_amount"], completed["fee"], completed["exchange"])
    page = emu.client.channel_payments(channel["id"])
    assert set(page) == set(listed) and set(page["meta"]) == set(listed["meta"])
