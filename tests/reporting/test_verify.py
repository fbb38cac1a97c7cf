"""--verify's judgement: what Cryptopay may have changed since a run and what it never may, the run's window, the
reviewer's key, and a forger who rewrites the manifest too (Cryptopay is the anchor, not the manifest). Against a
loopback emulator posing as the sandbox (reporting.run_info.SANDBOX_URL set to it, in this process only)."""
from __future__ import annotations

import json
import uuid
from contextlib import ExitStack
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Iterator

import pytest
import requests

from cryptopay_client import CryptopayClient
from cryptopay_emulator.account import PROJECT_ID
from reporting import run_info
from reporting.__main__ import main
from reporting.build import run_summary
from reporting.cryptopay_objects import ATTACHMENT, objects_seen
from reporting.integrity import write_digest_manifest
from reporting.summary import JSON_NAME, MARKDOWN_NAME, write_summary
from reporting.verify import CannotCheck, compare, reviewer_from_env, run_window
from support.targets.pair import Credentials, RunningEmulator, start_emulator
from tests.reporting.results_factory import write_result

INVOICE = {"kind": "invoice", "id": "inv-1", "status": "new", "status_context": None, "price_amount": "100.0",
           "price_currency": "EUR", "pay_amount": "0.0019", "pay_currency": "BTC", "paid_amount": "0.0",
           "fee": "1.0", "custom_id": None, "customer_id": "c-1", "created_at": "2026-05-04T09:00:05+00:00"}


def test_a_final_status_never_changes_but_a_status_may_move_on_along_its_own_path() -> None:
    completed = {**INVOICE, "status": "completed", "paid_amount": "0.0019"}
    assert compare(completed, {**completed, "status": "refunded"})[0] == [
        "status completed in the evidence, refunded at Cryptopay"]
    problems, note = compare(INVOICE, {**INVOICE, "status": "cancelled", "paid_amount": "0.0001"})
    assert problems == [] and note == "moved on since the run: new then, cancelled now"  # 14 days unpaid
    # What never changes is compared however far the status moved.
    assert compare(INVOICE, {**INVOICE, "status": "completed", "price_currency": "USD"})[0] == [
        "price_currency EUR in the evidence, USD at Cryptopay"]


def test_amounts_are_compared_as_decimals_and_every_difference_is_named() -> None:
    assert compare(INVOICE, {**INVOICE, "price_amount": "100.00"}) == ([], None)
    problems, _ = compare(INVOICE, {**INVOICE, "paid_amount": "0.0005", "created_at": "2026-05-04T09:00:06Z"})
    assert problems == ["paid_amount 0.0 in the evidence, 0.0005 at Cryptopay",
                        "created_at 2026-05-04T09:00:05+00:00 in the evidence, 2026-05-04T09:00:06Z at Cryptopay"]


def test_the_window_is_cryptopays_clock_else_the_suites_with_the_skew_cryptopay_allows() -> None:
    clock = {"started_at": "2026-05-04T09:00:01+00:00", "finished_at": "2026-05-04T09:14:40+00:00"}
    start, end = run_window({"cryptopay_clock": clock, "started_at": "2026-05-04T08:00:00+00:00",
                             "finished_at": "2026-05-04T08:10:00+00:00"})
    assert (start.isoformat(), end.isoformat()) == ("2026-05-04T08:59:59+00:00", "2026-05-04T09:14:42+00:00")
    start, _ = run_window({"started_at": "2026-05-04T09:00:00+00:00", "finished_at": "2026-05-04T09:10:00+00:00"})
    assert start.isoformat() == "2026-05-04T08:45:00+00:00"
    assert run_window({}) is None


def test_the_reviewers_key_must_be_there_and_for_the_sandbox(tmp_path: Path) -> None:
    with pytest.raises(CannotCheck, match="CRYPTOPAY_API_KEY and CRYPTOPAY_API_SECRET not set"):
        reviewer_from_env({"CERTIFY_ENV_FILE": "/dev/null"})
    with pytest.raises(CannotCheck, match="CRYPTOPAY_API_URL is https://business.cryptopay.me"):
        reviewer_from_env({"CERTIFY_ENV_FILE": "/dev/null", "CRYPTOPAY_API_URL": "https://business.cryptopay.me",
                           "CRYPTOPAY_API_KEY": "k", "CRYPTOPAY_API_SECRET": "s"})
    env_file = tmp_path / "reviewer.env"
    env_file.write_text("CRYPTOPAY_API_KEY=from-file\nCRYPTOPAY_API_SECRET=secret-${HOME}\n", encoding="utf-8")
    # The file CERTIFY_ENV_FILE names wins over the shell, and is read literally, as the suite reads its own.
    reviewer = reviewer_from_env({"CERTIFY_ENV_FILE": str(env_file), "CRYPTOPAY_API_KEY": "from-environment"})
    assert (reviewer.api_url, reviewer.api_key, reviewer.api_secret) == (run_info.SANDBOX_URL, "from-file",
                                                                          "secret-${HOME}")
    assert "secret-" not in repr(reviewer)


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[RunningEmulator, Credentials]]:
    """A loopback emulator posing as the sandbox, and the reviewer's .env naming a key of its account."""
    credentials = Credentials.fresh()
    with ExitStack() as stack:
        emulator = start_emulator(stack, credentials, driven_time=False, rate_limit_per_minute=0)
        monkeypatch.setattr(run_info, "SANDBOX_URL", emulator.url)
        monkeypatch.setenv("CERTIFY_ENV_FILE", "/dev/null")
        monkeypatch.setenv("CRYPTOPAY_API_URL", emulator.url)
        monkeypatch.setenv("CRYPTOPAY_API_KEY", credentials.api_key)
        monkeypatch.setenv("CRYPTOPAY_API_SECRET", credentials.api_secret)
        yield emulator, credentials


def _evidence(root: Path, api_url: str, objects: list[dict], account: str | None = PROJECT_ID) -> Path:
    """An evidence folder as a forger would write it: results, summary and a manifest made to match."""
    reports, now = root / "reports", datetime.now(timezone.utc)
    results = reports / "allure-results"
    path = write_result(results, "three deposits", "passed", [5])
    attachment = f"{uuid.uuid4()}-attachment.json"
    (results / attachment).write_text(json.dumps(objects), encoding="utf-8")
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, "attachments": [{"name": ATTACHMENT, "source": attachment}]}))
    run_info.write_run_info(results, {
        "cryptopay_api_url": api_url, "cryptopay_account": {"id": account, "api_key_id": "k"},
        "cryptopay_clock": {"started_at": (now - timedelta(minutes=5)).isoformat(timespec="seconds"),
                            "finished_at": (now + timedelta(minutes=1)).isoformat(timespec="seconds")}})
    write_summary(run_summary(results), reports)
    write_digest_manifest(reports, results, [JSON_NAME, MARKDOWN_NAME])
    return reports


def test_a_rewritten_manifest_does_not_make_objects_cryptopay_never_made(
        sandbox, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    emulator, credentials = sandbox
    made = CryptopayClient(emulator.url, credentials.api_key, credentials.api_secret).create_invoice(
        price_amount="100.0", price_currency="EUR", pay_currency="BTC")
    invented = {**INVOICE, "id": str(uuid.uuid4()), "created_at": made["created_at"]}
    claimed = objects_seen([{"method": "GET", "path": f"/api/invoices/{made['id']}", "status": 200,
                             "response_body": {"data": {**made, "status": "completed"}}}])
    assert main(["verify", str(_evidence(tmp_path, emulator.url, claimed + [invented]))]) == 12
    printed = capsys.readouterr().out
    assert f"invoice {invented['id']}: not found in this Cryptopay account" in printed
    assert f"invoice {made['id']}: status completed in the evidence, new at Cryptopay" in printed
    assert "changed since the run (SHA-256" not in printed  # the manifest checks out: it proves nothing on its own


def test_evidence_naming_another_account_or_none_is_not_verified(
        sandbox, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    emulator, _ = sandbox
    assert main(["verify", str(_evidence(tmp_path / "a", emulator.url, [], account="another-account"))]) == 12
    printed = capsys.readouterr().out
    assert f"the evidence names Cryptopay account another-account; the key in .env reads account {PROJECT_ID}" in \
        printed
    assert "lists no Cryptopay object of the sandbox: nothing ties it to Cryptopay" in printed
    assert main(["verify", str(_evidence(tmp_path / "b", emulator.url, [], account=None))]) == 12
    assert "the evidence names no Cryptopay account" in capsys.readouterr().out


def test_a_key_cryptopay_refuses_stops_the_check_with_what_to_fix(
        sandbox, tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    emulator, _ = sandbox
    monkeypatch.setenv("CRYPTOPAY_API_SECRET", "not-the-secret-of-this-key")
    assert main(["verify", str(_evidence(tmp_path, emulator.url, [INVOICE]))]) == 4
    printed = capsys.readouterr()
    assert "cannot verify: Cryptopay refused GET /api/accounts with the key in .env (401" in printed.err
    assert "not-the-secret-of-this-key" not in printed.out + printed.err


def test_a_rehearsal_verifies_as_nothing_to_check_unless_a_file_changed(
        tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CERTIFY_ENV_FILE", "/dev/null")  # no key needed: nothing is read at Cryptopay
    reports = _evidence(tmp_path, "http://127.0.0.1:8080", [INVOICE])
    assert main(["verify", str(reports)]) == 13
    assert "a rehearsal: nothing at Cryptopay to check (the run talked to standalone emulator)" in \
        capsys.readouterr().out
    (reports / MARKDOWN_NAME).write_text("# READY\n", encoding="utf-8")
    assert main(["verify", str(reports / JSON_NAME)]) == 12  # a file of the folder names the folder too
    assert f"{MARKDOWN_NAME} changed since the run" in capsys.readouterr().out


def test_a_forged_status_with_escape_codes_reaches_the_terminal_as_visible_text(
        sandbox, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    emulator, _ = sandbox
    forged = {**INVOICE, "id": "\x1b[2J\x1b[32mVERIFIED"}
    assert main(["verify", str(_evidence(tmp_path, emulator.url, [forged]))]) == 12
    printed = capsys.readouterr().out
    assert "\x1b" not in printed and "\\x1b[2J" in printed


def test_recalculations_and_refunds_are_checked_through_their_invoices(
        sandbox, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    emulator, credentials = sandbox
    exchanges: list = []
    client = CryptopayClient(emulator.url, credentials.api_key, credentials.api_secret, on_exchange=exchanges.append)
    recalculated, refunded = (client.create_invoice(price_amount="100.0", price_currency="EUR", pay_currency="BTC")
                              for _ in range(2))
    for invoice in (recalculated, refunded):  # overpaid: unresolved at once, resolvable by either
        pay = requests.post(f"{emulator.control_url}/payments", timeout=10,
                            json={"invoice_id": invoice["id"], "amount": str(Decimal(invoice["pay_amount"]) * 2)})
        assert pay.status_code == 201
    client.create_recalculation(recalculated["id"], force_commit=True)
    client.create_refund(refunded["id"])
    for invoice in (recalculated, refunded):
        client.retrieve_invoice(invoice["id"])
    client.list_refunds(refunded["id"])
    seen = objects_seen(exchanges)
    assert {o["kind"] for o in seen} == {"invoice", "recalculation", "refund"}
    reports = _evidence(tmp_path, emulator.url, seen)
    assert main(["verify", str(reports)]) == 10, capsys.readouterr().out  # verified; the hand-made verdict: PARTIAL
    assert "VERIFIED" in capsys.readouterr().out

    recalculation = next(o for o in seen if o["kind"] == "recalculation")
    forged = [{**o, "price_amount": "99.0"} if o is recalculation else o for o in seen]
    assert main(["verify", str(_evidence(tmp_path / "forged", emulator.url, forged))]) == 12
    assert f"recalculation {recalculation['id']}: price_amount 99.0 in the evidence, " in capsys.readouterr().out
