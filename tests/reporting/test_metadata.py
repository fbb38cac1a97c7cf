"""run-info.json and the environment, executor and categories files Allure reads from the results dir."""
from __future__ import annotations

import json
import re
from pathlib import Path

from reporting.metadata import CATEGORIES, write_metadata
from reporting.run_info import read_run_info, write_run_info

INFO = {
    "cryptopay_target": "https://business-sandbox.cryptopay.me",
    "merchant_target": "http://merchant.test:8000/probe",
    "payer": "testnet wallet",
    "declared_unresolved_policy": {"underpaid": "refund", "overpaid": "do_nothing"},
    "git_commit": "abc1234",
    "workers": 2,
}


def _properties(path: Path) -> dict[str, str]:
    # Java .properties: "\" escapes the next character; enough for what write_metadata emits.
    pairs = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        key, value = re.split(r"(?<!\\)=", line, maxsplit=1)
        unescape = lambda text: re.sub(r"\\(.)", r"\1", text)  # noqa: E731
        pairs[unescape(key)] = unescape(value)
    return pairs


def test_run_info_round_trips_and_missing_files_read_as_empty(tmp_path: Path) -> None:
    assert read_run_info(tmp_path) == {}
    write_run_info(tmp_path / "results", INFO)
    assert read_run_info(tmp_path / "results") == INFO
    (tmp_path / "results" / "run-info.json").write_text("not json", encoding="utf-8")
    assert read_run_info(tmp_path / "results") == {}


def test_environment_shows_targets_policy_and_missing_keys(tmp_path: Path) -> None:
    write_metadata(tmp_path, INFO)
    env = _properties(tmp_path / "environment.properties")
    assert env["Cryptopay target"] == "https://business-sandbox.cryptopay.me"
    assert env["Merchant target"] == "http://merchant.test:8000/probe"
    assert env["Policy underpaid"] == "refund" and env["Policy overpaid"] == "do_nothing"
    assert env["Workers"] == "2"
    assert env["Started at"] == "not recorded"


def test_executor_and_categories_are_allure_shaped(tmp_path: Path) -> None:
    write_metadata(tmp_path, {})
    executor = json.loads((tmp_path / "executor.json").read_text(encoding="utf-8"))
    assert executor["reportName"] == "Cryptopay go-live evidence" and "url" not in executor
    categories = json.loads((tmp_path / "categories.json").read_text(encoding="utf-8"))
    assert categories == CATEGORIES


def _category(status: str, message: str) -> str:
    for category in CATEGORIES:
        pattern = category.get("messageRegex")
        if status in category["matchedStatuses"] and (pattern is None or re.fullmatch(pattern, message)):
            return category["name"].split(" (")[0]
    return "none"


def test_categories_tell_environment_problems_from_product_defects() -> None:
    assert _category("failed", "MerchantError: merchant probe unreachable at http://x (ConnectionError)") \
        == "Environment problem"
    assert _category("failed", "WaitTimeout: waited 5 s for x; last seen: ConnectionError: refused") \
        == "Environment problem"
    assert _category("broken", "requests.exceptions.ConnectionError: Max retries exceeded") \
        == "Environment problem"
    assert _category("failed", "WaitTimeout: waited 5 s for a balance of 100.00; last seen: 200.00") \
        == "Product defect"
    assert _category("failed", "AssertionError: credited twice") == "Product defect"
    assert _category("broken", "KeyError: 'status'") == "Suite error"
