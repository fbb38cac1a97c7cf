"""Allure's environment, executor and categories files, written into the results dir before generation."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reporting.run_info import display_rows

REPORT_NAME = "Cryptopay go-live evidence"

# Transport failures surface as MerchantError/WaitTimeout (AssertionError subclasses, so status "failed") or as
# requests errors (status "broken"). A WaitTimeout that last saw a wrong value is a product defect, so only the
# connection-shaped messages count as environment problems. [\s\S]* on both ends: Allure 2 matches the whole
# message (Java matches()), Allure 3 searches; this form means the same in both.
_ENVIRONMENT_MESSAGES = "|".join([
    "unreachable", "ConnectionError", "ConnectTimeout", "ReadTimeout", "TransportError", "Connection refused",
    "Max retries exceeded", "Name or service not known", "Temporary failure in name resolution",
    "last seen: <nothing read yet>", r"Why \(environment\)",
])
# support/evidence/diagnosis/ puts "Why (configuration): ..." first in a failure it traces to a setting (a
# callback secret or URL, a probe token, the declared policy, the sign-off file): the merchant fixes it without changing code.
_CONFIGURATION_MESSAGE = r"[\s\S]*Why \(configuration\)[\s\S]*"

CATEGORIES: list[dict[str, Any]] = [
    {
        "name": "Configuration error (a setting of the merchant, the Cryptopay account or .env: see its Fix)",
        "matchedStatuses": ["failed", "broken"],
        "messageRegex": _CONFIGURATION_MESSAGE,
    },
    {
        "name": "Environment problem (a target unreachable or not answering)",
        "matchedStatuses": ["failed", "broken"],
        "messageRegex": rf"[\s\S]*({_ENVIRONMENT_MESSAGES})[\s\S]*",
    },
    {
        "name": "Product defect (the merchant did not behave as the checklist requires: see its Why and Fix)",
        "matchedStatuses": ["failed"],
    },
    {
        "name": "Suite error (the scenario could not complete)",
        "matchedStatuses": ["broken"],
    },
    {
        "name": "Not run on this target (its item cannot pass: see the reason)",
        "matchedStatuses": ["skipped"],
    },
]


def _escape_properties(text: str, *, key: bool) -> str:
    """Java .properties escaping, which Allure's reader undoes; non-ASCII as \\uXXXX to stay encoding-proof."""
    out = []
    for index, char in enumerate(text):
        if char == "\\":
            out.append("\\\\")
        elif char in "=:#!" or (char == " " and (key or index == 0)):
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif char == "\t":
            out.append("\\t")
        elif ord(char) > 126 or ord(char) < 32:
            out.extend(f"\\u{unit:04x}" for unit in _utf16_units(char))
        else:
            out.append(char)
    return "".join(out)


def _utf16_units(char: str) -> list[int]:
    data = char.encode("utf-16-be")
    return [int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2)]


def environment_properties(info: dict[str, Any]) -> str:
    lines = [f"{_escape_properties(label, key=True)}={_escape_properties(value, key=False)}"
             for label, value in display_rows(info)]
    return "\n".join(lines) + "\n"


def executor(info: dict[str, Any]) -> dict[str, Any]:
    # No URLs: the report must not point anywhere outside the file.
    commit = info.get("git_commit") or "unknown commit"
    started = info.get("started_at") or "unknown time"
    return {
        "name": "Cryptopay certification suite (pytest-bdd)",
        "type": "local",
        "buildName": f"Go-live certification at {commit}, started {started}",
        "reportName": REPORT_NAME,
    }


def write_metadata(results_dir: Path, info: dict[str, Any]) -> None:
    results_dir = Path(results_dir)
    (results_dir / "environment.properties").write_text(environment_properties(info), encoding="utf-8")
    (results_dir / "executor.json").write_text(json.dumps(executor(info), indent=2), encoding="utf-8")
    (results_dir / "categories.json").write_text(json.dumps(CATEGORIES, indent=2), encoding="utf-8")
