"""Which products a run certifies: CERTIFY_PRODUCTS, and what the merchant's probe offers (a v1 probe: invoices)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from reporting.manifest import MANIFEST, NOT_CHOSEN_REASON
from support.plugins.keys import SETTINGS_KEY
from support.plugins.run_manifest import not_integrated, offered_products
from support.targets.servers import ServerThread
from support.targets.settings import SUITE_PREFIXES, load_settings

ROOT = Path(__file__).resolve().parents[2]
OFFERS_INVOICES = "not integrated (the merchant's probe offers invoices only: GET /capabilities)"


def probe_app(capabilities: dict | None):
    """A merchant's probe as far as GET /capabilities goes: v2 answers its products, v1 does not know the path."""
    def app(environ, start_response):
        if capabilities is None or environ["PATH_INFO"] != "/capabilities":
            start_response("404 Not Found", [("Content-Type", "application/json")])
            return [b'{"error": {"code": "not_found", "message": "no such path"}}']
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(capabilities).encode()]
    return app


@pytest.fixture
def probe(request) -> Iterator[str]:
    server = ServerThread(probe_app(request.param), "probe").start()
    yield server.url
    server.stop()


class Config:
    """The part of pytest's config the decision reads: its stash, holding the settings."""

    def __init__(self, settings):
        self.stash = pytest.Stash()
        self.stash[SETTINGS_KEY] = settings


def _external(probe_url: str, **env: str):
    return load_settings({"CRYPTOPAY_API_URL": "http://127.0.0.1:1", "CRYPTOPAY_API_KEY": "k",
                          "CRYPTOPAY_API_SECRET": "s", "CRYPTOPAY_CALLBACK_SECRET": "c",
                          "EMULATOR_CONTROL_URL": "http://127.0.0.1:1/_emulator",
                          "MERCHANT_PROBE_URL": probe_url, "MERCHANT_CALLBACK_URL": "http://127.0.0.1:1/cb",
                          "MERCHANT_PROBE_TOKEN": "t", **env}, ROOT)


def test_products_left_out_of_certify_products_are_not_integrated() -> None:
    config = Config(load_settings({"CERTIFY_PRODUCTS": "invoices"}, ROOT))
    assert not_integrated(config) == {"channels": NOT_CHOSEN_REASON, "payouts": NOT_CHOSEN_REASON}
    assert not_integrated(Config(load_settings({}, ROOT))) == {}  # the embedded reference merchant: all three


@pytest.mark.parametrize("probe", [None], indirect=True)
def test_a_v1_probe_certifies_invoices_only(probe: str) -> None:
    settings = _external(probe)
    assert offered_products(settings) == frozenset({"invoices"})
    assert not_integrated(Config(settings)) == {"channels": OFFERS_INVOICES, "payouts": OFFERS_INVOICES}


@pytest.mark.parametrize("probe", [{"probe_version": 2, "products": ["invoices", "channels"]}], indirect=True)
def test_a_v2_probe_names_what_it_integrates_and_the_choice_still_applies(probe: str) -> None:
    reasons = not_integrated(Config(_external(probe, CERTIFY_PRODUCTS="channels,payouts")))
    assert reasons == {"invoices": NOT_CHOSEN_REASON,
                       "payouts": "not integrated (the merchant's probe offers invoices, channels only: "
                                  "GET /capabilities)"}


def test_scenarios_of_a_product_not_chosen_are_listed_as_not_run_with_the_reason(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(SUITE_PREFIXES)}
    env.update(CERTIFY_ENV_FILE=os.devnull, CERTIFY_PRODUCTS="channels,payouts")
    results = tmp_path / "results"
    completed = subprocess.run([sys.executable, "-m", "pytest", "steps", "-q", "-rs", "-m", "invoices_5",
                                "-p", "no:cacheprovider", f"--alluredir={results}"], cwd=ROOT, env=env,
                               capture_output=True, text=True, timeout=240)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-2000:]
    assert "passed" not in completed.stdout.splitlines()[-1] and "skipped" in completed.stdout.splitlines()[-1]
    assert "SKIPPED [1]" in completed.stdout and NOT_CHOSEN_REASON in completed.stdout
    scenarios = json.loads((results / MANIFEST).read_text(encoding="utf-8"))["scenarios"]
    chosen = [s for s in scenarios if "invoices_5" in s["tags"]]
    assert chosen and all(s["not_run_reason"] == NOT_CHOSEN_REASON and s["product"] == "invoices" for s in chosen)
    info = json.loads((results / "run-info.json").read_text(encoding="utf-8"))
    assert info["products"] == ["channels", "payouts"] and info["not_integrated"] == {"invoices": NOT_CHOSEN_REASON}
