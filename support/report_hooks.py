"""Allure labels from tags: one Behaviors group per checklist item, with severity and a link to the checklist."""
from __future__ import annotations

import json
import platform
import subprocess
from datetime import date, datetime, timezone
from decimal import Decimal
from importlib import metadata
from pathlib import Path

import allure
import pytest
from allure_pytest_bdd.pytest_bdd_listener import PytestBDDListener
from allure_commons.model2 import Parameter
from allure_pytest_bdd.steps import get_step_uuid

from support.account import account_identity, cryptopay_now
from support.keys import SETTINGS_KEY
from checklists import docs, items_of, items_words, product_of, product_title, proven_items
from support.run_manifest import not_integrated
from support.run_secrets import clean_exception, clean_text
from support.signoff import SIGNOFF_PRODUCTS, check_signoff
from support.diagnosis import Facts, annotate, diagnose, read_deposit
from support.evidence import attach_timelines

STARTED_KEY = pytest.StashKey[str]()
CRYPTOPAY_KEY = pytest.StashKey[dict]()
ROOT = Path(__file__).resolve().parents[1]


@pytest.hookimpl(trylast=True)
def pytest_bdd_before_step_call(request: pytest.FixtureRequest, feature, scenario, step, step_func,
                                step_func_args: dict) -> None:
    """The Allure adapter lists every step argument, fixtures included; keep only the words parsed from the
    Gherkin line, so a reviewer sees "100.00" and "EUR", never driver objects, URLs or anything secret."""
    listener = next((p for p in request.config.pluginmanager.get_plugins() if isinstance(p, PytestBDDListener)), None)
    if listener is None:
        return
    with listener.lifecycle.update_step(uuid=get_step_uuid(step)) as result:
        if result is not None:
            result.parameters = [Parameter(name=name, value=clean_text(request.config, str(value)))
                                 for name, value in step_func_args.items()
                                 if isinstance(value, (str, int, Decimal)) and not isinstance(value, bool)]
            proves = proven_items(step.type, step.name, items_of(
                {marker.name for marker in request.node.iter_markers()}))
            if proves:  # which checklist item this check proves, so a failure is read against the right item
                result.parameters.append(Parameter(name="proves", value=items_words(proves)))


def _fixture(request: pytest.FixtureRequest, name: str):
    """A fixture the scenario already uses, or None: a diagnosis never starts anything new or fails itself."""
    if name not in request.fixturenames:
        return None
    try:
        return request.getfixturevalue(name)
    except Exception:  # noqa: BLE001
        return None


def failure_facts(request: pytest.FixtureRequest, step_text: str, exception: BaseException) -> Facts:
    deposits = _fixture(request, "scenario_deposits") or []
    cryptopay, control, merchant = (_fixture(request, n) for n in ("cryptopay", "control", "merchant"))
    customer, sender = _fixture(request, "customer"), _fixture(request, "callback_sender")
    balances, down = None, ""
    if customer is not None and merchant is not None:
        try:
            balances = merchant.balances(customer.id)
        except Exception as exc:  # noqa: BLE001 - an unreadable merchant is itself a fact (an outage)
            down = str(exc) if "unreachable" in str(exc) else ""
    read = [read_deposit(d, cryptopay, control, merchant) for d in deposits] if cryptopay and merchant else []
    product = product_of({marker.name for marker in request.node.iter_markers()}) or "invoices"
    return Facts(step=step_text, message=str(exception), error=type(exception).__name__, deposits=tuple(read),
                 balances=balances, callback_url=getattr(sender, "callback_url", "") or "", product=product,
                 merchant_down=down)


@pytest.hookimpl(tryfirst=True)
def pytest_bdd_step_error(request: pytest.FixtureRequest, feature, scenario, step, step_func, step_func_args,
                          exception: BaseException) -> None:
    """Before Allure, JUnit and the terminal read the failure: its cause and its fix, from the evidence, first in
    its message (Why (kind): ... Fix: ...). Steps stay as they are; the diagnosis lives in support/diagnosis.py.
    Then the message is cleaned (secrets redacted, control characters visible): Allure records the step next."""
    try:
        _explain(request, step.name, exception)
    finally:
        clean_exception(request.config, exception)


def _explain(request: pytest.FixtureRequest, step_text: str, exception: BaseException) -> None:
    try:
        diagnosis = diagnose(failure_facts(request, step_text, exception))
    except Exception:  # noqa: BLE001 - explaining a failure must never change it
        return
    if diagnosis is not None and annotate(exception, diagnosis):
        evidence = _fixture(request, "evidence")  # redacted like every other attachment
        if evidence is not None:
            evidence.attach_text("Diagnosis: why it failed and what to fix", diagnosis.text() + "\n")


def pytest_bdd_after_scenario(request: pytest.FixtureRequest, feature, scenario) -> None:
    """Evidence gathered at the end of every scenario, pass or fail, while its Allure test case is still open."""
    if "evidence" not in request.fixturenames:
        return
    evidence = request.getfixturevalue("evidence")
    if "scenario_deposits" in request.fixturenames:
        attach_timelines(request.getfixturevalue("scenario_deposits"), request.getfixturevalue("cryptopay"),
                         request.getfixturevalue("control"), request.getfixturevalue("merchant"), evidence)
    evidence.attach_objects()
    evidence.attach_exchanges()


@pytest.hookimpl(trylast=True)
def pytest_bdd_before_scenario(request: pytest.FixtureRequest, feature, scenario) -> None:
    """Runs after the Allure adapter has opened the test case, so the labels land on it."""
    tags = {marker.name for marker in request.node.iter_markers()}
    items = items_of(tags)
    for item in items:
        allure.dynamic.epic(item.title)
    product = product_of(tags)
    if items and product:
        allure.dynamic.severity(allure.severity_level.CRITICAL)
        allure.dynamic.link(docs(product), name=f"Cryptopay go-live checklist for {product_title(product).lower()}")
    if "security" in tags:
        allure.dynamic.severity(allure.severity_level.BLOCKER)
    if "emulator_only" in tags:
        allure.dynamic.label("target", "emulator only")


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
    if settings is None or settings.embedded_emulator or hasattr(config, "workerinput") or config.option.collectonly:
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
        "selection": " ".join(f"{flag} {value!r}" for flag, value in (("-m", config.option.markexpr),
                                                                      ("-k", config.option.keyword)) if value),
    }
    write_run_info(Path(results), info)
