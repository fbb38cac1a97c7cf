"""run-info.json (controller only): who, what and when of the run, the suite's version, Cryptopay's account and clock."""
from __future__ import annotations

import platform
import subprocess
from datetime import date, datetime, timezone
from importlib import metadata
from pathlib import Path

import pytest

from reporting.run_info import write_run_info
from support.domain.signoff import SIGNOFF_PRODUCTS, check_signoff
from support.plugins.keys import SETTINGS_KEY
from support.plugins.run_kind import lists_only
from support.plugins.run_manifest import not_integrated, selection_words
from support.targets.account import account_identity, cryptopay_now

STARTED_KEY = pytest.StashKey[str]()
CRYPTOPAY_KEY = pytest.StashKey[dict]()
ROOT = Path(__file__).resolve().parents[2]


def _git(*args: str) -> str | None:
    """The suite's own repository, wherever the run was started from; None outside a git checkout."""
    try:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _suite_version() -> dict:
    """The suite's commit ("unknown" outside a git checkout) and whether its tracked files differ from it: a
    reviewer trusts the published suite, not a locally changed one."""
    commit = _git("rev-parse", "HEAD") or "unknown"
    changed = _git("status", "--porcelain", "--untracked-files=no") if commit != "unknown" else None
    return {"git_commit": commit, "suite_local_changes": bool(changed) if changed is not None else None}


def _signed_off_by(settings) -> list[str]:
    """The names on each certified product's sign-off, so the summary says who vouched for its risk holds."""
    names = []
    for product in (p for p in SIGNOFF_PRODUCTS if p in settings.declared.certify_products):
        try:
            report = check_signoff(settings.signoff_file, date.today(), example_allowed=settings.embedded_merchant,
                                   product=product)
        except Exception:  # noqa: BLE001 - the sign-off scenario reports the problem; the summary just omits names
            continue
        names += [f"{product}: {s.team}: {s.name} ({s.signed_on.isoformat()})" for s in report.accepted]
    return names


def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    config.stash[STARTED_KEY] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    settings = config.stash.get(SETTINGS_KEY, None)
    if settings is None or settings.embedded_emulator or hasattr(config, "workerinput") or lists_only(config):
        return  # the embedded emulators are each worker's own: nothing at Cryptopay to name
    config.stash[CRYPTOPAY_KEY] = {
        "account": account_identity(settings.cryptopay_api_url, settings.cryptopay_api_key,
                                    settings.cryptopay_api_secret.reveal()),
        "started_at": cryptopay_now(settings.cryptopay_api_url)}


def _cryptopay_facts(config: pytest.Config, settings) -> dict:  # noqa: ANN001
    """Who and when as Cryptopay tells it: the account and key, the run's start and end on Cryptopay's clock."""
    if settings.embedded_emulator:
        return {"cryptopay_api_url": None, "cryptopay_account": None, "cryptopay_clock": None}
    facts = config.stash.get(CRYPTOPAY_KEY, {})
    return {"cryptopay_api_url": settings.cryptopay_api_url, "cryptopay_account": facts.get("account"),
            "cryptopay_clock": {"started_at": facts.get("started_at"),
                                "finished_at": cryptopay_now(settings.cryptopay_api_url)}}


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Writes run-info.json beside the Allure results (controller only), for the environment and summary."""
    config = session.config
    results = getattr(config.option, "allure_report_dir", None)
    if not results or hasattr(config, "workerinput") or SETTINGS_KEY not in config.stash:
        return
    settings = config.stash[SETTINGS_KEY]
    info = {
        "merchant_build": settings.merchant_build,
        "cryptopay_target": settings.cryptopay_target,
        "merchant_target": ("embedded reference merchant (SQLite)" if settings.embedded_merchant
                            else settings.merchant_probe_url),
        "emulator_control": bool(settings.embedded_emulator or settings.emulator_control_url),
        "payer": settings.payer,
        "payment_coin": settings.payment_coin,
        "requests_per_minute": settings.requests_per_minute,
        "declared_unresolved_policy": settings.unresolved_policy,
        "products": list(settings.declared.certify_products),
        "not_integrated": not_integrated(config),
        "declared_channel_credited_amount": settings.declared.channel_credited_amount,
        "declared_payout_amount_field": settings.declared.payout_amount_field,
        **_suite_version(),
        **_cryptopay_facts(config, settings),
        "python": platform.python_version(),
        "pytest_bdd": metadata.version("pytest-bdd"),
        "allure_pytest_bdd": metadata.version("allure-pytest-bdd"),
        "started_at": config.stash.get(STARTED_KEY, None),
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "workers": getattr(config.option, "numprocesses", None) or 1,
        "signed_off_by": _signed_off_by(settings),
        "selection": selection_words(config),
    }
    write_run_info(Path(results), info)
