"""Field-by-field shape comparison against recorded Cryptopay responses, and loading of the VCR cassettes."""
from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import yaml

# Copied into the repository (tests/recordings/README.md says from where): a fresh clone runs every contract test.
RECORDINGS = Path(__file__).resolve().parents[1] / "recordings"

DECIMAL = re.compile(r"^-?\d+\.\d+$")  # "0.0", "100.0", "0.001895": at least one decimal, never an exponent
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\+00:00|Z)$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")
STRING_FORMATS = (DECIMAL, TIMESTAMP, UUID, REQUEST_ID)


def cassette(name: str) -> list[dict]:
    """The interactions of sandbox-2021/<name>.yml as {method, path, body, status, response}."""
    raw = yaml.safe_load((RECORDINGS / "sandbox-2021" / f"{name}.yml").read_text())
    out = []
    for item in raw["http_interactions"]:
        uri = urlsplit(item["request"]["uri"])
        out.append({"method": item["request"]["method"].upper(),
                    "path": uri.path + (f"?{uri.query}" if uri.query else ""),
                    "body": item["request"]["body"]["string"].encode() or None,
                    "status": item["response"]["status"]["code"],
                    "response": json.loads(item["response"]["body"]["string"])})
    return out


def recorded_error(name: str) -> dict:
    return json.loads((RECORDINGS / "errors" / f"{name}.json").read_text())


def shape_differences(recorded: object, actual: object, where: str = "$") -> list[str]:
    """Every way `actual` differs from `recorded` in key names, JSON types, nullability and string formats.

    Key order is not compared (the real API does not keep one). List items are each compared with the
    recorded first item.
    """
    if isinstance(recorded, dict):
        if not isinstance(actual, dict):
            return [f"{where}: expected an object, got {type(actual).__name__}"]
        problems = []
        if set(recorded) != set(actual):
            problems.append(f"{where}: missing keys {sorted(set(recorded) - set(actual))}, "
                            f"extra keys {sorted(set(actual) - set(recorded))}")
        for key in set(recorded) & set(actual):
            problems += shape_differences(recorded[key], actual[key], f"{where}.{key}")
        return problems
    if isinstance(recorded, list):
        if not isinstance(actual, list):
            return [f"{where}: expected a list, got {type(actual).__name__}"]
        if not recorded:
            return []
        return [p for i, item in enumerate(actual) for p in shape_differences(recorded[0], item, f"{where}[{i}]")]
    if recorded is None:
        return [] if actual is None else [f"{where}: expected null, got {actual!r}"]
    if isinstance(recorded, bool):
        return [] if isinstance(actual, bool) else [f"{where}: expected a boolean, got {actual!r}"]
    if isinstance(recorded, (int, float)):
        # CryptopayClient parses JSON numbers to Decimal; a Decimal here was a number on the wire
        ok = isinstance(actual, (int, float, Decimal)) and not isinstance(actual, bool)
        return [] if ok else [f"{where}: expected a number, got {actual!r}"]
    if not isinstance(actual, str):
        return [f"{where}: expected a string, got {actual!r}"]
    return [f"{where}: {actual!r} does not match the recorded format of {recorded!r}"
            for pattern in STRING_FORMATS if pattern.match(recorded) and not pattern.match(actual)]


# What the sandbox changed between the 2021 recordings and its 2023 answers (docs/cryptopay-api-facts.md §3, §7):
# invoices gained `subscription_id` (null outside subscriptions) and Ethereum URIs gained the chain id `@5`.
LATER_KEYS = {"subscription_id": None}
CHAIN_ID = "@5"


def as_recorded_in_2021(actual: object) -> object:
    """An answer with the 2023 additions checked and set aside, so it compares with a 2021 recording."""
    if not isinstance(actual, dict):
        return actual
    out = dict(actual)
    for key, value in LATER_KEYS.items():
        if key in out:
            assert out.pop(key) == value, f"{key} must be {value!r}"
    return out


def with_chain_id(uri: str) -> str:
    """A 2021 Ethereum URI in its 2023 form: `ethereum:<address or token>@5…`."""
    if not uri.startswith("ethereum:"):
        return uri
    head, sep, rest = uri[len("ethereum:"):].partition("/") if "/" in uri else uri[len("ethereum:"):].partition("?")
    return f"ethereum:{head}{CHAIN_ID}{sep}{rest}"


def assert_same_shape(recorded: object, actual: object) -> None:
    """Names, types, nullability and formats as recorded; an invoice's later `subscription_id` must be null and is
    then set aside when the recording predates it."""
    if isinstance(recorded, dict) and isinstance(actual, dict) and not set(LATER_KEYS) & set(recorded):
        actual = as_recorded_in_2021(actual)
    problems = shape_differences(recorded, actual)
    assert not problems, "differs from the recording:\n" + "\n".join(problems)
