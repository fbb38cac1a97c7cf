"""Allure labels from tags: one Behaviors group per checklist item, with severity and a link to the checklist; a
step's parameters are the words parsed from its Gherkin line and the items it proves."""
from __future__ import annotations

from decimal import Decimal

import allure
import pytest
from allure_commons.model2 import Parameter
from allure_pytest_bdd.pytest_bdd_listener import PytestBDDListener
from allure_pytest_bdd.steps import get_step_uuid

from checklists import docs, items_of, items_words, product_of, product_title, proven_items
from support.plugins.run_secrets import clean_text


@pytest.hookimpl(trylast=True)
def pytest_bdd_before_step_call(request: pytest.FixtureRequest, feature, scenario, step, step_func,
                                step_func_args: dict) -> None:
    """The Allure adapter lists every step argument, fixtures included; keep only the words parsed from the
    Gherkin line, so a reviewer sees "100.00" and "EUR", never driver objects, URLs or anything secret."""
    listener = next((p for p in request.config.pluginmanager.get_plugins() if isinstance(p, PytestBDDListener)), None)
    if listener is None:
        return
    with listener.lifecycle.update_step(uuid=get_step_uuid(step)) as result:
        if result is not None:
            result.parameters = [Parameter(name=name, value=clean_text(request.config, str(value)))
                                 for name, value in step_func_args.items()
                                 if isinstance(value, (str, int, Decimal)) and not isinstance(value, bool)]
            proves = proven_items(step.type, step.name, items_of(
                {marker.name for marker in request.node.iter_markers()}))
            if proves:  # which checklist item this check proves, so a failure is read against the right item
                result.parameters.append(Parameter(name="proves", value=items_words(proves)))


@pytest.hookimpl(trylast=True)
def pytest_bdd_before_scenario(request: pytest.FixtureRequest, feature, scenario) -> None:
    """Runs after the Allure adapter has opened the test case, so the labels land on it."""
    tags = {marker.name for marker in request.node.iter_markers()}
    items = items_of(tags)
    for item in items:
        allure.dynamic.epic(item.title)
    product = product_of(tags)
    if items and product:
        allure.dynamic.severity(allure.severity_level.CRITICAL)
        allure.dynamic.link(docs(product), name=f"Cryptopay go-live checklist for {product_title(product).lower()}")
    if "security" in tags:
        allure.dynamic.severity(allure.severity_level.BLOCKER)
    if "emulator_only" in tags:
        allure.dynamic.label("target", "emulator only")
