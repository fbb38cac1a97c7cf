"""Allure labels from tags: one Behaviors group per checklist item, with severity and a link to the checklist."""
from __future__ import annotations

import allure
import pytest

from support.checklist import DOCS, item_numbers, item_title


@pytest.fixture(autouse=True)
def checklist_labels(request: pytest.FixtureRequest) -> None:
    tags = {marker.name for marker in request.node.iter_markers()}
    numbers = item_numbers(tags)
    for number in numbers:
        allure.dynamic.epic(item_title(number))
    if numbers:
        allure.dynamic.severity(allure.severity_level.CRITICAL)
        allure.dynamic.link(DOCS, name="Cryptopay go-live checklist for invoices")
    if "security" in tags:
        allure.dynamic.severity(allure.severity_level.BLOCKER)
    if "emulator_only" in tags:
        allure.dynamic.label("target", "emulator only")
