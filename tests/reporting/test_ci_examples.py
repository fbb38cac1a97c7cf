"""The CI examples for merchants (docs/ci/) run as they stand: they parse, run README's certification command (whose
options certify.sh takes), write from secrets and variables a .env the suite's settings accept (without echoing a
secret), pay in a coin that fits the job's time limit, name the merchant's own sign-off (never the reference
merchant's example), pass on what a sandbox run alone can say, and keep the whole reports/ folder for --merge."""
from __future__ import annotations

import os
import re
import shlex
import subprocess
from datetime import date
from pathlib import Path

import pytest
import yaml

from reporting.exit_codes import PARTIAL, READY
from support.domain.signoff import EXAMPLE_MARK, check_signoff
from support.targets.settings import KNOWN_KEYS, SUITE_PREFIXES, load_settings
from tests.certification.harness import certify_checkout

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SECRETS = ["CRYPTOPAY_API_KEY", "CRYPTOPAY_API_SECRET", "CRYPTOPAY_CALLBACK_SECRET", "MERCHANT_PROBE_TOKEN"]
# What a merchant sets as variables (docs/ci's comments name them); blank ones take the suite's defaults.
VARIABLES = {"MERCHANT_PROBE_URL": "https://staging.example.com/probe",
             "MERCHANT_CALLBACK_URL": "https://staging.example.com/callbacks/cryptopay",
             "UNRESOLVED_POLICY_UNDERPAID": "refund", "UNRESOLVED_POLICY_OVERPAID": "",
             "UNRESOLVED_POLICY_PAID_LATE": "", "CERTIFY_PRODUCTS": "invoices,channels,payouts",
             "CHANNEL_CREDITED_AMOUNT": "", "PAYOUT_AMOUNT_FIELD": "", "CI_COMMIT_SHA": "0a1b2c3",
             "MERCHANT_BUILD": ""}
# The coins a payment is confirmed with in seconds (docs/certify.md, "Which coin to pay in"): at -n 8 the run takes
# 25-35 minutes; with BTC, the default without PAYMENT_COIN, an hour or more.
FAST_COINS = ("XRP", "XLM", "TRX", "SOL")
JOB_MINUTES_AT_LEAST = 45


class Example:
    """One CI example, read the way its CI reads it."""

    def __init__(self, name: str):
        self.name = name
        self.text = (ROOT / "docs" / "ci" / name).read_text(encoding="utf-8")
        self.document = yaml.safe_load(self.text)

    @property
    def github(self) -> bool:
        return self.name.startswith("github")

    def steps(self) -> list[dict]:
        return self.document["jobs"]["certify"]["steps"]

    def commands(self) -> list[str]:
        if self.github:
            return [step["run"] for step in self.steps() if "run" in step]
        job = self.document["cryptopay-go-live"]
        return [*job["script"], *job["after_script"]]

    def certify_command(self) -> str:
        lines = [line.strip() for line in "\n".join(self.commands()).splitlines() if "scripts/certify.sh" in line]
        assert len(lines) == 1, lines
        return lines[0].split(" || ")[0]

    def artifacts(self) -> list[str]:
        if self.github:
            upload = next(s for s in self.steps() if str(s.get("uses", "")).startswith("actions/upload-artifact"))
            assert upload.get("if") == "always()"  # the evidence of a failed certification matters most
            return upload["with"]["path"].split()
        artifacts = self.document["cryptopay-go-live"]["artifacts"]
        assert artifacts["when"] == "always" and artifacts["reports"]["junit"] == "reports/junit.xml"
        return artifacts["paths"]

    def minutes(self) -> int:
        if self.github:
            return int(self.document["jobs"]["certify"]["timeout-minutes"])
        hours, minutes = re.fullmatch(r"(?:(\d+)h)?\s*(?:(\d+)m)?", self.document["cryptopay-go-live"]["timeout"])\
            .groups()
        return int(hours or 0) * 60 + int(minutes or 0)

    def written_env(self) -> dict[str, str]:
        """The .env the job writes, with secrets and the merchant's variables as its CI would fill them in."""
        given = {**VARIABLES, **{name: f"{name.lower()}-value-0123456789abcdef" for name in SECRETS}}
        if self.github:
            step = next(s for s in self.steps() if "env" in s and "CRYPTOPAY_API_KEY" in s["env"])
            given.update({name: _github_value(expression) for name, expression in step["env"].items()})
        else:
            given.update({k: str(v) for k, v in self.document["cryptopay-go-live"].get("variables", {}).items()})
        values = {}
        for line in "\n".join(self.commands()).splitlines():
            echoed = re.fullmatch(r'\s*echo "([A-Z_]+)=([^"$]*)"', line)
            printed = re.fullmatch(r"\s*printf '([A-Z_]+)=%s\\n' \"\$\{?([A-Z_]+)(?::-\$([A-Z_]+))?\}?\"", line)
            if echoed:
                values[echoed.group(1)] = echoed.group(2)
            elif printed:
                key, name, fallback = printed.groups()
                values[key] = given.get(name) or (given.get(fallback, "") if fallback else "")
        return values


def _github_value(expression: str) -> str:
    """${{ secrets.X }}, ${{ vars.X || 'default' }} or ${{ github.sha }} as a run fills it in (variables unset)."""
    inner = expression.strip().removeprefix("${{").removesuffix("}}").strip()
    name = inner.split("||")[0].strip().split(".")[-1]
    default = re.search(r"\|\|\s*'([^']*)'", inner)
    if inner.startswith("secrets."):
        return f"{name.lower()}-value-0123456789abcdef"
    if "github.sha" in inner:
        return "0a1b2c3"
    return VARIABLES.get(name) or (default.group(1) if default else "")


EXAMPLES = [Example("github-actions.yml"), Example("gitlab-ci.yml")]
IDS = ["github", "gitlab"]


@pytest.mark.parametrize("example", EXAMPLES, ids=IDS)
def test_the_ci_example_runs_readmes_command_and_keeps_the_whole_reports_folder(example: Example) -> None:
    assert example.certify_command() == "bash scripts/certify.sh -n 8 --dist load"
    assert example.certify_command() in README  # the command README's "Certify your integration" gives
    # Every file of the evidence, the manifest and the results: what --merge and --verify read, as the run left it.
    assert example.artifacts() == ["reports/"], example.artifacts()
    assert "rm -f .env" in "\n".join(example.commands())
    assert "bash scripts/certify.sh --merge runs/sandbox runs/rehearsal" in example.text


@pytest.mark.parametrize("example", EXAMPLES, ids=IDS)
def test_secrets_go_into_env_and_are_never_echoed(example: Example) -> None:
    script = "\n".join(example.commands())
    assert "set -x" not in script and "umask 077" in script
    for name in SECRETS:
        written = [line for line in script.splitlines() if f"${name}" in line]
        assert written and all(re.fullmatch(rf"\s*printf '{name}=%s\\n' \"\${name}\"", line) for line in written), \
            written
    assert "} > .env" in script


@pytest.mark.parametrize("example", EXAMPLES, ids=IDS)
def test_the_env_it_writes_is_one_the_settings_accept_and_the_merchants_own(example: Example, tmp_path: Path) -> None:
    values = example.written_env()
    assert set(values) <= set(KNOWN_KEYS), set(values) - set(KNOWN_KEYS)
    # Its sign-off is the merchant's own file, never the shipped example, which is refused for an outside merchant.
    signoff = values.get("GO_LIVE_SIGNOFF_FILE", "")
    assert signoff, "no GO_LIVE_SIGNOFF_FILE: the default, signoff.yml, is the reference merchant's example"
    shipped = ROOT / signoff
    assert not (shipped.is_file() and EXAMPLE_MARK in shipped.read_text(encoding="utf-8")), signoff
    assert f"committed as {signoff}" in example.text and "signoff.example.yml" in example.text
    # The merchant commits it as the comment says (its own people in place of the example's): the settings take the
    # whole .env, and the sign-off is accepted for an outside merchant.
    own = (ROOT / "signoff.example.yml").read_text(encoding="utf-8").replace(EXAMPLE_MARK, "(our shop)")
    (tmp_path / signoff).write_text(own, encoding="utf-8")
    settings = load_settings(values, tmp_path)
    assert not settings.embedded_merchant and not settings.embedded_emulator
    assert check_signoff(settings.signoff_file, date.today(), product="invoices").failure() == ""
    # A coin confirmed in seconds, so the run fits the job's limit.
    assert settings.payment_coin in FAST_COINS and example.minutes() >= JOB_MINUTES_AT_LEAST, \
        (settings.payment_coin, example.minutes())


@pytest.mark.parametrize("example", EXAMPLES, ids=IDS)
def test_what_it_says_of_workers_and_exit_codes_is_what_it_does(example: Example) -> None:
    command = shlex.split(example.certify_command())
    workers = command[command.index("-n") + 1]
    said = set(re.findall(r"-n (\d+)", example.text))
    assert said == {workers}, said  # a comment that says -n 32 where the command runs -n 8 misleads
    # It passes on READY and on what a sandbox run alone can say, PARTIAL, and fails on every other code.
    if example.github:
        step = next(s for s in example.steps() if "scripts/certify.sh" in s.get("run", ""))
        allowed = {int(code) for code in re.findall(r'\[ "\$status" -eq (\d+) \]', step["run"])}
    else:
        allowed = {READY, *example.document["cryptopay-go-live"]["allow_failure"]["exit_codes"]}
    assert allowed == {READY, PARTIAL}, allowed


@pytest.mark.slow
@pytest.mark.parametrize("example", EXAMPLES, ids=IDS)
def test_certify_sh_takes_the_examples_options(example: Example, tmp_path: Path) -> None:
    """The command as the example runs it, listing only (--collect-only: nothing runs, reports/ untouched)."""
    checkout = certify_checkout(tmp_path, {})
    env = {k: v for k, v in os.environ.items() if not k.startswith((*SUITE_PREFIXES, "PYTEST_"))}
    env["CERTIFY_ENV_FILE"] = os.devnull
    command = shlex.split(example.certify_command())
    done = subprocess.run([command[0], str(checkout / command[1]), *command[2:], "--collect-only", "-q"],
                          cwd=checkout, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    assert re.search(r"\d+ tests collected", done.stdout), done.stdout[-500:]


def test_the_merge_the_examples_point_to_is_written_out_step_by_step() -> None:
    guide = (ROOT / "docs" / "certify.md").read_text(encoding="utf-8")
    for example in EXAMPLES:
        assert '"Merge the sandbox run and the rehearsal"' in " ".join(example.text.replace("#", "").split())
    section = guide[guide.index("## 4a. Merge the sandbox run and the rehearsal"):guide.index("## 5. ")]
    steps = ["bash scripts/certify.sh -n 8 --dist load", "cp -r reports runs/sandbox",
             "CERTIFY_ENV_FILE=.env.emulator bash scripts/certify.sh", "cp -r reports runs/rehearsal",
             "bash scripts/certify.sh --merge runs/sandbox runs/rehearsal", "bash scripts/certify.sh --verify reports"]
    found = [section.find(step) for step in steps]
    assert -1 not in found and found == sorted(found), dict(zip(steps, found))
