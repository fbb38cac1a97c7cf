"""The real Allure 3 build on a tiny results dir: evidence file offline, summary written, secrets caught."""
from __future__ import annotations

from pathlib import Path

import pytest

from reporting.__main__ import EXIT_SECRET_FOUND, main
from reporting.allure import ALLURE_BIN, generate, preload
from reporting.build import build
from reporting.offline import external_references
from reporting.run_info import write_run_info
from tests.reporting.results_factory import write_result

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not ALLURE_BIN.exists(),
                       reason="Allure 3 is not installed in .tools/node_modules (scripts/build_report.sh does it)"),
]


def _results(tmp_path: Path) -> Path:
    results = tmp_path / "allure-results"
    write_result(results, "A deposit paid in full credits the customer", "passed", [11, 12])
    write_result(results, "A resent completed notification credits again", "failed", [13],
                 message="AssertionError: balance 200.00, expected 100.00")
    write_run_info(results, {"cryptopay_target": "embedded emulator", "git_commit": "abc1234"})
    return results


def test_the_evidence_file_is_self_contained_and_offline(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    output = tmp_path / "reports"
    assert main(["build", "--results", str(_results(tmp_path)), "--output", str(output)]) == 0
    html = (output / "go-live-evidence.html").read_text(encoding="utf-8")
    assert "Cryptopay go-live evidence" in html
    assert "googletagmanager" not in html
    assert external_references(html) == []
    assert (output / "go-live-summary.json").exists()
    assert "**NOT READY for invoices on the embedded emulator: item 13 fail; channels, payouts not integrated**" in \
        (output / "go-live-summary.md").read_text(encoding="utf-8")
    assert str(output / "go-live-evidence.html") in capsys.readouterr().out


def test_a_secret_in_the_results_fails_the_build_without_printing_it(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    results = _results(tmp_path)
    secret = "planted-secret-value-42"
    (results / "leak-attachment.txt").write_text(f"key={secret}", encoding="utf-8")
    secrets = tmp_path / "secrets.txt"
    secrets.write_text(f"{secret}\n", encoding="utf-8")
    code = main(["build", "--results", str(results), "--output", str(tmp_path / "reports"),
                 "--secrets-file", str(secrets)])
    printed = capsys.readouterr()
    assert code == EXIT_SECRET_FOUND
    assert "leak-attachment.txt" in printed.err
    assert secret not in printed.out + printed.err


def test_allure_started_ahead_builds_the_same_evidence_and_ends(tmp_path: Path) -> None:
    """The build of a run hands its job to the Allure started while the scenarios ran (allure.preload()): the same
    page comes out, and the process has ended when the build returns."""
    preloaded = preload()
    assert preloaded is not None and preloaded.usable()
    ahead = build(_results(tmp_path / "ahead"), tmp_path / "ahead" / "reports", secrets=[], preloaded=preloaded)
    fresh = build(_results(tmp_path / "fresh"), tmp_path / "fresh" / "reports", secrets=[])
    assert not preloaded.usable()  # its one job done: it exited
    pages = [result.evidence.read_text(encoding="utf-8") for result in (ahead, fresh)]
    for page in pages:
        assert "item 13 fail" in page and external_references(page) == []
    assert ahead.overall == fresh.overall == "not ready"


def test_allure_started_ahead_and_not_needed_is_stopped() -> None:
    preloaded = preload()
    assert preloaded is not None
    preloaded.close()
    assert not preloaded.usable()


def test_work_done_while_allure_builds_that_fails_leaves_no_allure_running(tmp_path: Path) -> None:
    """The build scans the results while Allure (another process) makes the page: if that work fails, the
    Allure it was handed to is stopped, not left running behind the run."""
    preloaded = preload()
    assert preloaded is not None
    started = []

    def failing_scan() -> None:
        started.append(preloaded._process.poll())  # noqa: SLF001 - the driver is at work when the scan starts
        raise OSError("disk gone")

    with pytest.raises(OSError, match="disk gone"):
        generate(_results(tmp_path), preloaded=preloaded, meanwhile=failing_scan)
    assert started == [None]
    assert preloaded._process.poll() is not None  # noqa: SLF001
