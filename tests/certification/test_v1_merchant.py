"""A merchant whose probe is still v1 certifies invoices and gets "not integrated" for channels and payouts."""
from __future__ import annotations

import json
from pathlib import Path

from support.targets.servers import ServerThread
from tests.certification.harness import certification_stack, run_features

# Probe v2's paths; a v1 probe has none of them and answers 404, as an application does for a path it lacks.
V2_PATHS = ("/probe/capabilities", "/probe/channels", "/probe/channel-payments", "/probe/payouts")
SELECTED = "invoices_5 or channels_1 or channels_6 or payouts_2 or payouts_5"
NOT_INTEGRATED = "not integrated (the merchant's probe offers invoices only"


def probe_v1(app):
    """The reference merchant's probe with probe v2 taken away: the same app, v2's paths unknown."""
    def v1_only(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith(V2_PATHS) or (path.startswith("/probe/customers/") and path.endswith("/funding")):
            body = json.dumps({"error": {"code": "not_found", "message": "no such path"}}).encode()
            start_response("404 Not Found", [("Content-Type", "application/json"),
                                             ("Content-Length", str(len(body)))])
            return [body]
        return app(environ, start_response)
    return v1_only


def test_a_v1_probe_certifies_invoices_and_leaves_channels_and_payouts_not_integrated(tmp_path: Path) -> None:
    with certification_stack(tmp_path) as stack:
        server = ServerThread(probe_v1(stack.merchant_app), "v1 merchant").start()
        try:
            stack.env["MERCHANT_PROBE_URL"] = f"{server.url}/probe"
            verdicts = run_features(stack, tmp_path, "-m", SELECTED, f"--go-live-evidence={tmp_path / 'reports'}",
                                    f"--alluredir={tmp_path / 'results'}")
        finally:
            server.stop()
    assert not verdicts.failed, verdicts.failed
    assert verdicts.passed and all("invoice" in name or "deposit" in name for name in verdicts.passed), verdicts.passed
    assert verdicts.skipped and all(NOT_INTEGRATED in reason for reason in verdicts.skipped.values()), verdicts.skipped
    summary = json.loads((tmp_path / "reports" / "go-live-summary.json").read_text())
    text = json.dumps(summary)
    assert "NOT INTEGRATED" in text.upper() and "channels" in text and "payouts" in text, text[:2000]
