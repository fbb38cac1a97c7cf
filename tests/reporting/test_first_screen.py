"""The verdict first: the evidence file opened from disk in headless Chromium shows the verdict and every item row
without scrolling (invoices only, and all three products), and at 1280x720 who, what and when with the summary's
digest; it names itself after the verdict, fails its quality gate unless READY, and reaches nowhere; a failing run's
first reason is readable at 1280x720, and the Allure part's figures, ring and item groups tell the banner's story."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from reporting.allure import ALLURE_BIN
from reporting.browser import first_screen, page_parts
from reporting.build import build
from reporting.integrity import digest
from reporting.run_info import SANDBOX_URL, write_run_info
from reporting.samples import write_sample
from reporting.secret_scan import decoded_runs
from reporting.summary import MARKS
from tests.reporting.results_factory import write_result

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not ALLURE_BIN.exists(), reason="Allure 3 is not installed in .tools/ (scripts/install_tools.sh)"),
    pytest.mark.skipif(not (shutil.which("chromium") or shutil.which("chromium-browser")),
                       reason="no chromium: scripts/install_browser.sh installs it where it can (root and apt-get)"),
]

EXPECTED = {
    "ready": ("READY for invoices on the Cryptopay sandbox (merchant build sample-1.0); channels, payouts not "
              "integrated", "passed"),
    "not ready": ("NOT READY for invoices on the Cryptopay sandbox: item 12 fail", "failed"),
    "partial": ("PARTIAL for invoices on the Cryptopay sandbox: item 14 not fully proven", "failed"),
}


@pytest.mark.parametrize("verdict", sorted(EXPECTED))
def test_the_first_screen_carries_the_verdict_and_every_item(verdict: str, tmp_path: Path) -> None:
    built = build(write_sample(tmp_path / "results", verdict), tmp_path / "reports")
    headline, gate = EXPECTED[verdict]
    shown = first_screen(built.evidence)

    assert shown.headline is not None and shown.headline.startswith(headline), shown
    assert len(shown.rows) == 14, f"item rows visible without scrolling: {shown.rows}"
    assert [row.split(":")[0] for row in shown.rows] == [f"Invoices item {n:02d}" for n in range(1, 15)]
    assert shown.title.startswith(headline)  # the browser tab and the app's own heading
    assert shown.app_rendered and headline in shown.app_text
    assert shown.outside_requests == []
    # Allure's quality gate tab carries the verdict as a failed (or passed) rule.
    assert ("Quality Gates 2" in shown.app_text.replace("\n", " ")), shown.app_text[:500]
    row_12 = next(row for row in shown.rows if row.startswith("Invoices item 12"))
    assert ("FAIL" in row_12) == (verdict == "not ready")
    if verdict == "not ready":
        assert "Fix: credit price_amount" in row_12 and "WaitTimeout" not in row_12


def _embedded_text(page: Path) -> bytes:
    """The single file embeds Allure's data as base64: decoded, it can be searched."""
    data = page.read_bytes()
    return b"\n".join([data, *decoded_runs(data)])


def test_the_quality_gate_fails_unless_the_verdict_is_ready(tmp_path: Path) -> None:
    failing = _embedded_text(build(write_sample(tmp_path / "results", "not ready"), tmp_path / "reports").evidence)
    passing = _embedded_text(build(write_sample(tmp_path / "ok", "ready"), tmp_path / "ok-reports").evidence)
    assert b"the go-live verdict is not READY: NOT READY for invoices on the Cryptopay sandbox" in failing
    assert b'"success":false' in failing.replace(b" ", b"")
    assert b"the go-live verdict is not READY" not in passing
    assert b"the go-live verdict: READY for invoices on the Cryptopay sandbox" in passing


def test_three_products_fit_the_first_screen_with_a_verdict_each(tmp_path: Path) -> None:
    results = tmp_path / "results"
    for product, count in (("invoices", 14), ("channels", 8), ("payouts", 7)):
        write_result(results, f"covers {product}", "passed", list(range(1, count + 1)), product=product)
    write_result(results, "a resent completion credits again", "failed", [7], product="channels",
                 message="Why (product defect): the customer was credited twice for one payment. Fix: " + "x " * 200)
    write_run_info(results, {"cryptopay_api_url": SANDBOX_URL, "products": ["invoices", "channels", "payouts"],
                             "not_integrated": {}})
    shown = first_screen(build(results, tmp_path / "reports").evidence)
    assert shown.headline == "NOT READY for invoices, channels, payouts on the Cryptopay sandbox: channels item 7 fail"
    assert shown.products == ["Invoices: READY (14 of 14 items pass)", "Channels: NOT READY (7 of 8 items pass)",
                              "Payouts: READY (7 of 7 items pass)"]
    assert len(shown.rows) == 29, f"item rows visible without scrolling: {len(shown.rows)}"
    assert [row.split(":")[0] for row in shown.rows][13:16] == ["Invoices item 14", "Channels item 01",
                                                                "Channels item 02"]


def test_the_first_screen_at_1280_by_720_names_the_account_the_run_and_the_summary_digest(tmp_path: Path) -> None:
    built = build(write_sample(tmp_path / "results", "ready"), tmp_path / "reports")
    shown = first_screen(built.evidence, window=(1280, 720))
    assert shown.identity is not None, "who, what and when are not on the first screen at 1280x720"
    who = " ".join(shown.identity.split())
    assert "Cryptopay account: 5a3c1b0e-0000-4000-8000-00000000a11c (API key sampleKey1d)" in who, who
    assert "API host: business-sandbox.cryptopay.me" in who and "Merchant build: sample-1.0" in who, who
    assert "Run (UTC): 2026-05-04 09:00:00 to 09:14:41" in who, who
    assert "Suite: 63cbd8500000" in who, who
    assert f"go-live-summary.json SHA-256: {digest(built.summary_json)}" in who, who
    assert shown.outside_requests == []


# -- one story across the page, at 1280x720 ----------------------------------------------------------------------------
def test_a_failing_runs_first_reason_is_readable_on_the_first_screen_at_1280x720(tmp_path: Path) -> None:
    built = build(write_sample(tmp_path / "results", "not ready"), tmp_path / "reports")
    readable = page_parts(built.evidence).reasons["invoices 12"]  # unclipped and inside the window
    assert readable.startswith("Why (product defect): the merchant credited"), readable  # the reason, not a name
    assert "the requested 100.00 EUR instead of the final price 50.05 EUR. Fix: credit price_amount" in readable


@pytest.mark.parametrize("verdict", ["ready", "not ready", "partial", "not proven"])
def test_the_allure_part_tells_the_banners_story(verdict: str, tmp_path: Path) -> None:
    built = build(write_sample(tmp_path / "results", verdict), tmp_path / "reports")
    parts = page_parts(built.evidence)
    banner, allure = parts.banner_figures, parts.allure_figures
    assert allure == {"total": banner["entries"], "passed": banner["passed"], "failed": banner["failed"],
                      "broken": banner["notProven"], "skipped": banner["notRun"]}, (banner, allure)
    assert parts.ring_shown == (verdict == "ready")  # a ring of scenarios is no verdict: never green beside a failure
    summary = json.loads(built.summary_json.read_text(encoding="utf-8"))
    groups = {title.rsplit(" · ", 1)[0]: (title.rsplit(" · ", 1)[1], bar)
              for title, bar in parts.groups if title.startswith("Invoices item ")}
    assert len(groups) == 14, parts.groups
    for item in (i for i in summary["items"] if i["product"] == "invoices"):
        mark, bar = groups[item["title"]]
        assert mark == MARKS[item["verdict"]], (item["title"], mark)
        if mark == "PASS":  # an item that passes holds nothing red, amber or grey
            assert set(bar) == {"passed"}, (item["title"], bar)
        if mark in ("FAIL", "NOT PROVEN"):
            assert bar.get("failed" if mark == "FAIL" else "broken"), (item["title"], bar)
