"""Evidence gathered at the end of every scenario: deposits' timelines, Cryptopay's objects, the API exchanges."""
from __future__ import annotations

import pytest

from support.evidence.attachments import attach_timelines


def pytest_bdd_after_scenario(request: pytest.FixtureRequest, feature, scenario) -> None:
    """Evidence gathered at the end of every scenario, pass or fail, while its Allure test case is still open."""
    if "evidence" not in request.fixturenames:
        return
    evidence = request.getfixturevalue("evidence")
    if "scenario_deposits" in request.fixturenames:
        attach_timelines(request.getfixturevalue("scenario_deposits"), request.getfixturevalue("cryptopay"),
                         request.getfixturevalue("control"), request.getfixturevalue("merchant"), evidence)
    evidence.attach_objects()
    evidence.attach_exchanges()
