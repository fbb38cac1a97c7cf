"""The control API's record hooks: an object gone, rewritten, or older than it was, as Cryptopay might show a run's
objects days later (what the suite's evidence verification must notice). Control only: the signed API cannot."""
from __future__ import annotations

import pytest

from cryptopay_client import CryptopayError

EUR_BTC = {"price_amount": "100.0", "price_currency": "EUR", "pay_currency": "BTC"}


def test_a_forgotten_invoice_is_gone_from_reads_and_lists(emu) -> None:
    kept = emu.client.create_invoice(**EUR_BTC, customer_id="c-1", custom_id="kept")
    gone = emu.client.create_invoice(**EUR_BTC, customer_id="c-1", custom_id="gone")
    assert emu.control("DELETE", f"/objects/{gone['id']}").json() == {"deleted": gone["id"]}
    with pytest.raises(CryptopayError) as missing:
        emu.client.retrieve_invoice(gone["id"])
    assert missing.value.status == 404
    with pytest.raises(CryptopayError):
        emu.client.retrieve_invoice_by_custom_id("gone")
    assert [i["id"] for i in emu.client.list_invoices(customer_id="c-1")["data"]] == [kept["id"]]
    assert emu.client.retrieve_invoice_by_custom_id("kept")["id"] == kept["id"]
    assert emu.control("DELETE", f"/objects/{gone['id']}").status_code == 404


def test_a_rewritten_object_shows_its_new_status_and_creation_time(emu) -> None:
    invoice = emu.client.create_invoice(**EUR_BTC)
    answer = emu.control("PATCH", f"/objects/{invoice['id']}",
                         {"status": "cancelled", "created_at": "2020-01-02T03:04:05+01:00"})
    assert answer.status_code == 200
    read = emu.client.retrieve_invoice(invoice["id"])
    assert (read["status"], read["created_at"]) == ("cancelled", "2020-01-02T02:04:05+00:00")


def test_a_channel_payment_and_a_withdrawal_can_be_rewritten_too(emu) -> None:
    channel = emu.client.create_channel(name="c", pay_currency="BTC", receiver_currency="EUR", custom_id="ch-1")
    emu.control("POST", "/payments", {"address": channel["address"], "amount": "0.001"})
    payment = emu.client.channel_payments(channel["id"])["data"][0]
    emu.control("PATCH", f"/objects/{payment['id']}", {"status": "refunded", "status_context": None})
    assert emu.client.channel_payment(channel["id"], payment["id"])["status"] == "refunded"
    withdrawal = emu.client.create_coin_withdrawal(address=channel["address"], charged_currency="BTC",
                                                   received_currency="BTC", received_amount="0.001",
                                                   force_commit=True)
    emu.control("PATCH", f"/objects/{withdrawal['id']}", {"status": "failed"})
    assert emu.client.retrieve_coin_withdrawal(withdrawal["id"])["status"] == "failed"


@pytest.mark.parametrize("body", [{}, {"status": "Completed!"}, {"created_at": "yesterday"},
                                  {"created_at": "2020-01-02T03:04:05"}])
def test_a_rewrite_names_a_field_with_a_valid_value(emu, body: dict) -> None:
    invoice = emu.client.create_invoice(**EUR_BTC)
    assert emu.control("PATCH", f"/objects/{invoice['id']}", body).status_code == 422
    assert emu.client.retrieve_invoice(invoice["id"])["status"] == "new"


def test_unknown_objects_are_not_found(emu) -> None:
    assert emu.control("PATCH", "/objects/no-such-id", {"status": "completed"}).status_code == 404
