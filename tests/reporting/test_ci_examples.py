"""The CI examples for merchants (docs/ci/) parse, run README's certification command from secrets written to
.env without echoing them, and keep the whole evidence (report, summary, manifest, results, JUnit) as artifacts."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
# The whole evidence: --merge and a reviewer's --verify read the manifest and the results beside the report.
ARTIFACTS = ["reports/go-live-evidence.html", "reports/go-live-summary.md", "reports/go-live-summary.json",
             "reports/go-live-manifest.json", "reports/allure-results/", "reports/junit.xml"]
SECRETS = ["CRYPTOPAY_API_KEY", "CRYPTOPAY_API_SECRET", "CRYPTOPAY_CALLBACK_SECRET", "MERCHANT_PROBE_TOKEN"]


def _github() -> tuple[list[str], str]:
    workflow = yaml.safe_load((ROOT / "docs/ci/github-actions.yml").read_text(encoding="utf-8"))
    steps = workflow["jobs"]["certify"]["steps"]
    upload = next(step for step in steps if str(step.get("uses", "")).startswith("actions/upload-artifact"))
    assert upload.get("if") == "always()"  # the evidence of a failed certification matters most
    return [step["run"] for step in steps if "run" in step], upload["with"]["path"]


def _gitlab() -> tuple[list[str], str]:
    job = yaml.safe_load((ROOT / "docs/ci/gitlab-ci.yml").read_text(encoding="utf-8"))["cryptopay-go-live"]
    assert job["artifacts"]["when"] == "always" and job["artifacts"]["reports"]["junit"] == "reports/junit.xml"
    return [*job["script"], *job["after_script"]], "\n".join(job["artifacts"]["paths"])


@pytest.mark.parametrize("read", [_github, _gitlab], ids=["github", "gitlab"])
def test_the_ci_example_runs_readmes_command_and_keeps_the_evidence(read) -> None:
    commands, artifacts = read()
    script = "\n".join(commands)
    certify = [line.strip() for line in script.splitlines() if "scripts/certify.sh" in line]
    assert certify == ["bash scripts/certify.sh -n 8 --dist load"]
    assert certify[0] in README  # the command README's "Certify your integration" gives
    assert all(path in artifacts for path in ARTIFACTS)
    assert "rm -f .env" in script


@pytest.mark.parametrize("read", [_github, _gitlab], ids=["github", "gitlab"])
def test_secrets_go_into_env_and_are_never_echoed(read) -> None:
    script = "\n".join(read()[0])
    assert "set -x" not in script and "umask 077" in script
    for name in SECRETS:
        written = [line for line in script.splitlines() if f"${name}" in line]
        assert written and all(re.fullmatch(rf"\s*printf '{name}=%s\\n' \"\${name}\"", line) for line in written), \
            written
    assert "} > .env" in script
