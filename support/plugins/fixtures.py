"""Session and scenario fixtures: targets started once per worker, drivers and evidence per scenario."""
from __future__ import annotations

import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Iterator

import pytest

from reporting.inert import printable
from reporting.manifest import EMULATOR_ONLY_REASON
from reporting.redaction import redact
from support.drivers.callbacks import CallbackSender
from support.drivers.cryptopay import CryptopayDriver
from support.drivers.emulator import EmulatorControl
from support.drivers.merchant import Deposit, MerchantAdapter, ProbeMerchant
from support.drivers.operator import TerminalOut
from support.drivers.payers import Payer, PaymentNotPossible, build_payer
from support.drivers.sql_adapter import SqlMerchant
from support.drivers.waiting import count_down_to
from support.evidence.attachments import Evidence, Redactor
from support.plugins.keys import SETTINGS_KEY
from support.plugins.run_kind import lists_only
from support.plugins.run_secrets import remember
from support.targets.preflight import first_delivery_note, payout_notice_problem, preflight_problems
from support.targets.settings import Settings
from support.targets.pair_process import PairProcess
from support.targets.wiring import Targets, embeds_targets, start_targets



@pytest.fixture(scope="session")
def settings(pytestconfig: pytest.Config) -> Settings:
    return pytestconfig.stash[SETTINGS_KEY]


PREFLIGHT_NOTE_KEY = pytest.StashKey[str]()
PAIR_PROCESS_KEY = pytest.StashKey[PairProcess]()
PREFLIGHT_HEADING = "The go-live suite cannot start: its targets failed the preflight checks:"


def preflight_message(settings: Settings, started: Targets) -> str | None:
    """The problems in one message, printable and redacted: it may quote what a merchant answered."""
    problems = preflight_problems(started, build_merchant(settings, started))
    if not problems:
        return None
    message = PREFLIGHT_HEADING + "\n" + "\n".join(f"  - {p}" for p in problems)
    return printable(redact(message, settings.secrets() + started.secrets()))


def stop_on_preflight_problems(settings: Settings, started: Targets) -> None:
    message = preflight_message(settings, started)
    if message:
        pytest.exit(message, returncode=4)


def external_targets(settings: Settings) -> bool:
    """Targets the suite does not start: the same for every worker, so they are checked once, up front."""
    return not settings.embedded_emulator and not settings.embedded_merchant


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    """External targets are checked in the controller before any xdist worker starts, so a problem reads the same
    (one message, exit 4) serial or under -n; a worker exiting would only give an INTERNALERROR."""
    settings = config.stash.get(SETTINGS_KEY, None)
    if hasattr(config, "workerinput") or settings is None or lists_only(config) or config.option.help \
            or not external_targets(settings):
        return
    with ExitStack() as stack:
        started = start_targets(settings, Path(tempfile.gettempdir()), stack)
        message = preflight_message(settings, started)
        if message:
            raise pytest.UsageError(message)
        note = first_delivery_note(started, build_merchant(settings, started), settings.payment_coin,
                                   settings.wait_timeout)
    if note:
        config.stash[PREFLIGHT_NOTE_KEY] = printable(redact(note, settings.secrets() + started.secrets()))


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """Once the run's scenarios are chosen: payout scenarios against an emulator that notifies no payout stop the run
    before any of them, naming the flag (an invoices-only selection runs). Only a standalone emulator with control
    can tell, and such a run is serial: this process chose the scenarios."""
    config = session.config
    settings = config.stash.get(SETTINGS_KEY, None)
    if (hasattr(config, "workerinput") or settings is None or settings.embedded_emulator or lists_only(config)
            or not settings.emulator_control_url or "payouts" not in settings.declared.certify_products
            or not any(item.get_closest_marker("payouts") for item in session.items)):
        return
    problem = payout_notice_problem(EmulatorControl(settings.emulator_control_url))
    if problem:
        raise pytest.UsageError(f"{PREFLIGHT_HEADING}\n  - {problem}")


def _runs_scenarios(config: pytest.Config) -> bool:
    """This process runs the scenarios: a serial run, or an xdist worker (not its controller), and not a listing."""
    controller = config.getoption("dist", "no") != "no" and not hasattr(config, "workerinput")
    return not controller and not lists_only(config)


def pytest_sessionstart(session: pytest.Session) -> None:
    """The targets' process is spawned now, so its imports overlap collection. Then what the preflight could not
    confirm, said before any scenario runs (it does not stop the run)."""
    settings = session.config.stash.get(SETTINGS_KEY, None)
    if settings is not None and embeds_targets(settings) and _runs_scenarios(session.config):
        session.config.stash[PAIR_PROCESS_KEY] = PairProcess()
    note = session.config.stash.get(PREFLIGHT_NOTE_KEY, None)
    reporter = session.config.pluginmanager.getplugin("terminalreporter")
    if note and reporter is not None:
        reporter.write_line(f"preflight: {note}", yellow=True)


def pytest_unconfigure(config: pytest.Config) -> None:
    """A targets' process spawned ahead and never used (nothing selected, a preflight stop) is stopped."""
    process = config.stash.get(PAIR_PROCESS_KEY, None)
    if process is not None:
        del config.stash[PAIR_PROCESS_KEY]
        process.close()


@pytest.fixture(scope="session")
def targets(settings: Settings, tmp_path_factory: pytest.TempPathFactory,
            pytestconfig: pytest.Config) -> Iterator[Targets]:
    with ExitStack() as stack:
        ahead = pytestconfig.stash.get(PAIR_PROCESS_KEY, None)
        if ahead is not None:
            del pytestconfig.stash[PAIR_PROCESS_KEY]  # this fixture closes it from now on
        started = start_targets(settings, tmp_path_factory.mktemp("targets"), stack, ahead)
        remember(pytestconfig, started.secrets() + settings.secrets())  # in memory, for the redaction and scan
        if not external_targets(settings):  # external ones were checked before the session started
            stop_on_preflight_problems(settings, started)
        yield started


@pytest.fixture(scope="session")
def redactor(settings: Settings, targets: Targets) -> Redactor:
    return Redactor(settings.secrets() + targets.secrets())


@pytest.fixture
def evidence(redactor: Redactor) -> Evidence:
    """Attachments for this scenario; support/plugins/scenario_evidence.py adds the exchanges and timelines at its
    end."""
    return Evidence(redactor)


@pytest.fixture
def made() -> dict[str, Any]:
    """Objects a step made before it returned them, by the fixture name they will have: a Given that fails after
    making its object (a payment credited wrongly) is still diagnosed with that object (failure_diagnosis.py)."""
    return {}


@pytest.fixture
def scenario_deposits() -> list[Deposit]:
    """Deposits a scenario made; support/plugins/scenario_evidence.py attaches each one's timeline at the scenario's
    end."""
    return []


@pytest.fixture
def cryptopay(settings: Settings, targets: Targets, evidence: Evidence) -> CryptopayDriver:
    return CryptopayDriver(targets.api_url, targets.api_key, targets.api_secret.reveal(), evidence.record_exchange,
                           poll_max_seconds=2.0 if settings.embedded_emulator else 10.0)


def build_merchant(settings: Settings, targets: Targets) -> MerchantAdapter:
    """The adapter .env chooses: the certification probe (default) or read-only SQL queries."""
    if settings.merchant_adapter == "sql":
        return SqlMerchant(settings.merchant_sql_url.reveal(), settings.merchant_sql_balance_query,
                           settings.merchant_sql_invoice_query, deposit_url=targets.probe_url,
                           deposit_token=targets.probe_token)
    return ProbeMerchant(targets.probe_url, targets.probe_token)


@pytest.fixture(scope="session")
def merchant(settings: Settings, targets: Targets) -> MerchantAdapter:
    return build_merchant(settings, targets)


@pytest.fixture
def control(targets: Targets) -> EmulatorControl | None:
    return EmulatorControl(targets.control_url) if targets.control_url else None


@pytest.fixture
def emulator(control: EmulatorControl | None) -> EmulatorControl:
    """For steps of @emulator_only scenarios; those are skipped before they get here when there is no control."""
    if control is None:
        pytest.skip(EMULATOR_ONLY_REASON)
    return control


@pytest.fixture(scope="session")
def long_waits_count_down(pytestconfig: pytest.Config) -> Iterator[None]:
    """Every wait of the features longer than a few seconds says on the terminal, past pytest's capture, what it
    waits for (the project's own tests wait quietly)."""
    count_down_to(TerminalOut(pytestconfig.pluginmanager.getplugin("capturemanager")))
    yield
    count_down_to(None)


@pytest.fixture
def payer(settings: Settings, control: EmulatorControl | None, cryptopay: CryptopayDriver,
          pytestconfig: pytest.Config) -> Payer:
    try:
        # Past pytest's capture: the operator must see the QR code and everyone the progress of long waits.
        out = TerminalOut(pytestconfig.pluginmanager.getplugin("capturemanager"))
        return build_payer(settings, control, cryptopay, out=out)
    except PaymentNotPossible as exc:
        pytest.skip(f"no way to pay invoices on this target: {exc}")


@pytest.fixture
def callback_sender(targets: Targets) -> CallbackSender:
    return CallbackSender(targets.callback_url, targets.callback_secret)


@pytest.fixture
def wait_timeout(settings: Settings) -> float:
    return settings.wait_timeout

