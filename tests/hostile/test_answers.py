"""Issue 21 points 6-8: an answer that never ends, a huge or gzip-bombed one, a 200,000-deep JSON one: each is a
clear error naming the endpoint, within the bound, and nothing is read whole."""
from __future__ import annotations

import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import pytest

from cryptopay_client import CryptopayClient
from cryptopay_client.http import AnswerTooBig, AnswerTooSlow
from support.drivers.callbacks import CallbackSender
from support.drivers.emulator import ControlError, EmulatorControl
from support.drivers.merchant import PROBE_ANSWER_BYTES, ProbeAnswerRefused, ProbeContractError, ProbeMerchant
from support.drivers.waiting import wait_until
from support.targets.secrets import Secret
from tests.hostile.servers import HostileServer, deep_json, endless_headers, gzip_bombing, json_answer, never_ending

BOUND = 1.0
# What the bound may be overshot by on a loaded machine: shutting a socket down and raising take milliseconds.
SLACK = 2.0
# The test's own limit: before the fix these calls never returned at all.
HANG = 30.0
BALANCE = "GET /customers/{customer_id}/balance"


def within(seconds: float, call: Callable[[], object]) -> tuple[BaseException | None, float]:
    """Runs `call` in a thread the test outlives: what it raised and how long it took, or a failure at `seconds`."""
    pool = ThreadPoolExecutor(1)
    started = time.monotonic()
    future = pool.submit(call)
    pool.shutdown(wait=False)  # a call that hangs must not hang the test too
    try:
        future.result(timeout=seconds)
    except TimeoutError:
        pytest.fail(f"still reading after {seconds:g} s: the answer's time is not bounded")
    except Exception as exc:  # noqa: BLE001 - the error is what the test inspects
        return exc, time.monotonic() - started
    return None, time.monotonic() - started


def probe(server: HostileServer) -> ProbeMerchant:
    return ProbeMerchant(server.url, Secret("probe-token-HOSTILE-2"), timeout=BOUND)


@pytest.mark.parametrize("answer", [never_ending(), endless_headers()], ids=["endless body", "endless headers"])
def test_a_probe_answer_that_never_ends_fails_within_the_bound_naming_the_endpoint(answer) -> None:
    with HostileServer(answer) as merchant:
        error, took = within(HANG, lambda: probe(merchant).balances("cust-1"))
    assert isinstance(error, ProbeAnswerRefused), repr(error)
    assert str(error) == f"MERCHANT_PROBE_URL: {BALANCE} did not answer whole within {BOUND:g} s"
    assert took < BOUND + SLACK, took


def test_a_cryptopay_answer_that_never_ends_fails_within_the_bound() -> None:
    with HostileServer(never_ending()) as cryptopay:
        client = CryptopayClient(cryptopay.url, "key", "api-secret", timeout=BOUND)
        error, took = within(HANG, lambda: client.retrieve_invoice("inv-1"))
    assert isinstance(error, AnswerTooSlow), repr(error)
    assert str(error).startswith("CRYPTOPAY_API_URL: GET /api/invoices/inv-1 did not answer whole within 1 s")
    assert took < BOUND + SLACK, took


def test_the_control_driver_and_the_callback_sender_are_bounded_too() -> None:
    with HostileServer(never_ending()) as server:
        error, took = within(HANG, lambda: EmulatorControl(server.url, timeout=BOUND).clock())
        assert isinstance(error, ControlError) and str(error).startswith("EMULATOR_CONTROL_URL: GET /clock did not"), \
            repr(error)
        assert took < BOUND + SLACK, took
        sender = CallbackSender(server.url, Secret("callback-secret-HOSTILE"), timeout=BOUND)
        answers: list = []
        error, took = within(HANG, lambda: answers.append(sender.post_signed(b"{}")))
    assert error is None and answers == [f"no answer within {BOUND:g} s"] and took < BOUND + SLACK


def test_a_gzip_bomb_is_never_decoded_whole() -> None:
    """A few KB on the wire that decode to 1 GiB: given up once past the cap, the endpoint named."""
    with HostileServer(gzip_bombing(1 << 30)) as merchant:
        tracemalloc.start()
        try:
            error, _ = within(HANG, lambda: ProbeMerchant(merchant.url, Secret("t"), timeout=20).balances("cust-1"))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert isinstance(error, ProbeAnswerRefused), repr(error)
    assert str(error) == (f"MERCHANT_PROBE_URL: {BALANCE} answered more than {PROBE_ANSWER_BYTES:,} bytes "
                          "(decoded); the answer was cut off there")
    assert peak < 4 * PROBE_ANSWER_BYTES, f"{peak:,} bytes held while reading"


def test_an_endless_flood_is_cut_off_at_the_cap() -> None:
    with HostileServer(never_ending(b" " * 65536, pause=0)) as merchant:
        error, _ = within(HANG, lambda: ProbeMerchant(merchant.url, Secret("t"), timeout=20).balances("cust-1"))
    assert isinstance(error, ProbeAnswerRefused) and "answered more than" in str(error), repr(error)


def test_a_cryptopay_answer_is_capped_too() -> None:
    with HostileServer(gzip_bombing(1 << 30)) as cryptopay:
        error, _ = within(HANG, lambda: CryptopayClient(cryptopay.url, "k", "s", timeout=20).coins())
    assert isinstance(error, AnswerTooBig) and str(error).startswith("CRYPTOPAY_API_URL: GET /api/coins answered "
                                                                     "more than"), repr(error)


def test_a_200000_deep_json_answer_is_a_named_probe_contract_breach() -> None:
    with HostileServer(deep_json(200_000)) as merchant:
        with pytest.raises(ProbeContractError) as breach:
            probe(merchant).balances("cust-1")
    assert str(breach.value) == (f"probe-v1: answers are plain JSON objects; {BALANCE} answered 200 with JSON "
                                 "nested too deep to read")


def test_a_well_behaved_answer_still_reads_whole() -> None:
    """The bounds cost a correct merchant nothing: an ordinary answer reads as before, twice from one client."""
    with HostileServer(json_answer(200, {"customer_id": "cust-1", "balances": {"EUR": "10.50"}})) as merchant:
        reader = probe(merchant)
        assert [reader.balances("cust-1") for _ in range(2)] == [{"EUR": __import__("decimal").Decimal("10.50")}] * 2


def test_a_short_deadline_is_kept_while_a_longer_one_is_being_watched() -> None:
    """One watchdog keeps every request's deadline: a request with a short one, sent while another with a long one
    is hanging, still ends at its own deadline (the watchdog is woken for the sooner one, not left sleeping)."""
    with HostileServer(never_ending()) as cryptopay:
        patient = CryptopayClient(cryptopay.url, "key", "api-secret", timeout=HANG - 5)
        hurried = CryptopayClient(cryptopay.url, "key", "api-secret", timeout=BOUND)
        pool = ThreadPoolExecutor(1)
        pool.submit(lambda: patient.retrieve_invoice("inv-long"))
        pool.shutdown(wait=False)
        wait_until(lambda: len(cryptopay.received), bool, timeout=HANG, expected="the long request being answered")
        error, took = within(HANG, lambda: hurried.retrieve_invoice("inv-short"))
    assert isinstance(error, AnswerTooSlow), repr(error)
    assert took < BOUND + SLACK, took


def test_a_loopback_target_is_reached_directly_whatever_proxy_the_environment_names(monkeypatch) -> None:
    """The embedded and standalone targets are on this machine: a proxy named in the environment (with no NO_PROXY)
    is not asked to reach them, and the environment is not read on every request."""
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there: a proxied request would fail
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    with HostileServer(json_answer(200, {"data": {"id": "inv-1"}})) as cryptopay:
        client = CryptopayClient(cryptopay.url, "key", "api-secret", timeout=BOUND)
        assert client.retrieve_invoice("inv-1")["id"] == "inv-1"
        assert cryptopay.received, "the request went straight to the target"
