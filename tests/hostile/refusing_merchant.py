"""A hostile merchant for the evidence and terminal tests: the reference merchant behind a front that refuses every
deposit (422) with a page the test writes, the way an error page quotes a request or carries markup and escapes."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from support.targets.servers import ServerThread
from tests.certification.harness import Verdicts, certification_stack, run_features

# The refused request's WSGI environ -> the page's text.
Page = Callable[[dict], str]
# Three scenarios (one per currency) that each ask the merchant for a deposit first.
SCENARIO = "paid_in_full"


def refusing_deposits(app, page: Page):  # noqa: ANN001 - a WSGI app in, a WSGI app out
    def front(environ: dict, start_response):  # noqa: ANN001
        if environ.get("REQUEST_METHOD") == "POST" and environ.get("PATH_INFO", "").endswith("/deposits"):
            body = page(environ).encode("utf-8")
            start_response("422 Unprocessable Entity", [("Content-Type", "text/html; charset=utf-8"),
                                                         ("Content-Length", str(len(body)))])
            return [body]
        return app(environ, start_response)
    return front


@dataclass(frozen=True)
class HostileRun:
    verdicts: Verdicts
    reports: Path   # --go-live-evidence: the HTML, the summary and allure-results/
    junit: Path
    secret_values: list[str]

    def files(self) -> list[Path]:
        """Every file the run left that CI would keep or upload."""
        kept = [p for p in self.reports.rglob("*") if p.is_file()] if self.reports.exists() else []
        return kept + ([self.junit] if self.junit.exists() else [])


def certify_against(workdir: Path, page: Page, *pytest_args: str, probe_token: str | None = None,
                    reports: Path | None = None) -> HostileRun:
    """The scenarios of SCENARIO, run as certify.sh runs them (evidence, JUnit), against the refusing merchant."""
    reports = reports or workdir / "reports"
    with certification_stack(workdir, probe_token=probe_token) as stack:
        server = ServerThread(refusing_deposits(stack.merchant_app, page), "refusing merchant").start()
        try:
            stack.env["MERCHANT_PROBE_URL"] = f"{server.url}/probe"
            verdicts = run_features(stack, workdir, "-k", SCENARIO, f"--alluredir={workdir / 'fresh'}",
                                    f"--go-live-evidence={reports}", *pytest_args)
        finally:
            server.stop()
    return HostileRun(verdicts, reports, workdir / "junit.xml", stack.secret_values)


def runs_of(secret: str, length: int) -> set[str]:
    """Every run of `length` characters of a secret: what must not survive anywhere."""
    return {secret[i:i + length] for i in range(len(secret) - length + 1)}


def holding(files: list[Path], fragments: set[str]) -> list[str]:
    """The files that hold any of the fragments, by name (never the fragment)."""
    return [str(p) for p in files if any(f.encode() in p.read_bytes() for f in fragments)]
