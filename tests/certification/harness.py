"""Runs the go-live features in a separate pytest process against targets started here (an emulator with its
control API and a merchant app), the way an external merchant is certified; returns the scenario verdicts."""
from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from support.targets.pair import Credentials, start_pair
from support.targets.settings import SUITE_PREFIXES

ROOT = Path(__file__).resolve().parents[2]
# Settings of the suite (and pytest-xdist's) that must not leak from the outer run into the certified one.
SUITE_KEYS = (*SUITE_PREFIXES, "PYTEST_XDIST")


@dataclass(frozen=True)
class Stack:
    env: dict[str, str]
    secret_values: list[str]
    merchant_app: object = None  # the merchant's WSGI app, for a test that serves it differently


@dataclass(frozen=True)
class Verdicts:
    returncode: int
    passed: set[str]
    failed: dict[str, str]
    skipped: dict[str, str]
    output: str


def certify_checkout(workdir: Path, previous: dict[str, str]) -> Path:
    """The repository as scripts/certify.sh sees it, with a reports/ of its own holding `previous` (name -> text)
    and a pytest cache of its own: every other top-level entry linked, the scripts copied (certify.sh finds the
    repository from its own place)."""
    for entry in ROOT.iterdir():
        if entry.name not in ("reports", "scripts", ".git", ".certify-run", ".pytest_cache"):
            (workdir / entry.name).symlink_to(entry)
    (workdir / "scripts").mkdir()
    for script in (ROOT / "scripts").glob("*.sh"):
        (workdir / "scripts" / script.name).write_text(script.read_text(encoding="utf-8"), encoding="utf-8")
    for name, text in previous.items():
        (workdir / "reports" / name).parent.mkdir(parents=True, exist_ok=True)
        (workdir / "reports" / name).write_text(text, encoding="utf-8")
    (workdir / "reports").mkdir(exist_ok=True)
    return workdir


def own_signoff(workdir: Path) -> Path:
    """The reference merchant certified as an outside merchant must sign off as one: the shipped example, which
    names the reference merchant's people, is refused for outside merchants."""
    path = workdir / "signoff.yml"
    path.write_text((ROOT / "signoff.yml").read_text(encoding="utf-8")
                    .replace("(reference merchant)", "(certified in a test)"), encoding="utf-8")
    return path


@contextmanager
def certification_stack(workdir: Path, merchant_kwargs: dict | None = None,
                        policy: dict[str, str] | None = None, probe_token: str | None = None,
                        **emulator_options) -> Iterator[Stack]:
    """An emulator and a merchant on loopback, wired to each other, with fresh secrets."""
    with ExitStack() as stack:
        pair = start_pair(stack, f"sqlite:///{workdir / 'merchant.sqlite3'}", Credentials.fresh(probe_token),
                          merchant_kwargs, rate_limit_per_minute=0, unresolved_policy=policy or {},
                          **emulator_options)
        creds, merchant = pair.credentials, pair.merchant
        env = {"CRYPTOPAY_API_URL": pair.emulator.url, "CRYPTOPAY_API_KEY": creds.api_key,
               "CRYPTOPAY_API_SECRET": creds.api_secret, "CRYPTOPAY_CALLBACK_SECRET": creds.callback_secret,
               "MERCHANT_PROBE_URL": merchant.probe_url, "MERCHANT_CALLBACK_URL": merchant.callback_url,
               "MERCHANT_PROBE_TOKEN": creds.probe_token, "EMULATOR_CONTROL_URL": pair.emulator.control_url,
               "GO_LIVE_SIGNOFF_FILE": str(own_signoff(workdir))}
        for context, value in (policy or {}).items():
            env[f"UNRESOLVED_POLICY_{context.upper()}"] = value
        yield Stack(env, creds.values(), merchant.app)


def features_command(stack: Stack, workdir: Path, *pytest_args: str) -> tuple[list[str], dict[str, str]]:
    """The command line and environment of a run of the features against the stack (JUnit in workdir)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(SUITE_KEYS)}
    env.update(stack.env, CERTIFY_ENV_FILE=os.devnull, WAIT_TIMEOUT_SECONDS="8")
    return ([sys.executable, "-m", "pytest", "steps", "-p", "no:cacheprovider", f"--junitxml={workdir / 'junit.xml'}",
             *pytest_args], env)


def run_features(stack: Stack, workdir: Path, *pytest_args: str, timeout: float = 240) -> Verdicts:
    command, env = features_command(stack, workdir, "-q", "-rs", *pytest_args)
    completed = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    return _verdicts(completed.returncode, workdir / "junit.xml", completed.stdout + completed.stderr)


def _verdicts(returncode: int, junit: Path, output: str) -> Verdicts:
    passed, failed, skipped = set(), {}, {}
    if junit.exists():
        for case in ET.parse(junit).getroot().iter("testcase"):
            name = case.get("name", "")
            if not name:  # pytest writes a nameless case when the session exits before collection ends
                continue
            failure = case.find("failure") if case.find("failure") is not None else case.find("error")
            skip = case.find("skipped")
            if failure is not None:
                failed[name] = (failure.get("message") or "")[:500]
            elif skip is not None:
                skipped[name] = skip.get("message") or ""
            else:
                passed.add(name)
    return Verdicts(returncode, passed, failed, skipped, output)
