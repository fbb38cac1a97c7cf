"""A failed step's cause and fix, read from the evidence already there, put first in its message before Allure,
JUnit and the terminal read it; then the message is cleaned (secrets redacted, control characters visible)."""
from __future__ import annotations

import pytest

from checklists import product_of
from support.domain.products import ADAPTERS
from support.evidence.diagnosis import PRODUCT_RULES, Facts, annotate, diagnose, read_object
from support.plugins.run_secrets import clean_exception


def _fixture(request: pytest.FixtureRequest, name: str):
    """A fixture the scenario already uses, or None: a diagnosis never starts anything new or fails itself."""
    if name not in request.fixturenames:
        return None
    try:
        return request.getfixturevalue(name)
    except Exception:  # noqa: BLE001
        return None


def failure_facts(request: pytest.FixtureRequest, step_text: str, exception: BaseException) -> Facts:
    """The scenario's objects of its product, read through the product's adapter, and what its rules need."""
    product = product_of({marker.name for marker in request.node.iter_markers()}) or "invoices"
    adapter = ADAPTERS[product]

    made = _fixture(request, "made") or {}

    def lookup(name: str):
        found = _fixture(request, name)
        return made.get(name) if found is None else found

    try:
        things = adapter.scenario_things(lookup)
    except Exception:  # noqa: BLE001 - a payout the merchant refused has no object to read
        things = []
    cryptopay, control, merchant = (_fixture(request, n) for n in ("cryptopay", "control", "merchant"))
    customer, sender = _fixture(request, "customer"), _fixture(request, "callback_sender")
    balances, down = None, ""
    if customer is not None and merchant is not None:
        try:
            balances = merchant.balances(customer.id)
        except Exception as exc:  # noqa: BLE001 - an unreadable merchant is itself a fact (an outage)
            down = str(exc) if "unreachable" in str(exc) else ""
    read = [read_object(adapter, thing, cryptopay, control, merchant) for thing in things] \
        if cryptopay and merchant else []
    try:
        notes = PRODUCT_RULES[product].notes(lookup)
    except Exception:  # noqa: BLE001 - the rules that need them then have nothing to say
        notes = {}
    return Facts(step=step_text, message=str(exception), error=type(exception).__name__, objects=tuple(read),
                 balances=balances, callback_url=getattr(sender, "callback_url", "") or "", product=product,
                 merchant_down=down, notes=notes)


@pytest.hookimpl(tryfirst=True)
def pytest_bdd_step_error(request: pytest.FixtureRequest, feature, scenario, step, step_func, step_func_args,
                          exception: BaseException) -> None:
    """Before Allure, JUnit and the terminal read the failure: its cause and its fix, from the evidence, first in
    its message (Why (kind): ... Fix: ...). Steps stay as they are; the diagnosis lives in support/evidence/diagnosis/.
    Then the message is cleaned (secrets redacted, control characters visible): Allure records the step next."""
    try:
        _explain(request, step.name, exception)
    finally:
        clean_exception(request.config, exception)


def _explain(request: pytest.FixtureRequest, step_text: str, exception: BaseException) -> None:
    try:
        diagnosis = diagnose(failure_facts(request, step_text, exception))
    except Exception:  # noqa: BLE001 - explaining a failure must never change it
        return
    if diagnosis is not None and annotate(exception, diagnosis):
        evidence = _fixture(request, "evidence")  # redacted like every other attachment
        if evidence is not None:
            evidence.attach_text("Diagnosis: why it failed and what to fix", diagnosis.text() + "\n")
