"""Root pytest wiring: settings validated before anything runs, step modules registered as plugins."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from dotenv import dotenv_values

from support.keys import SETTINGS_KEY
from support.settings import ConfigError, Settings, load_settings

# One line per group; a new product adds its helpers' and its steps' modules on a line of its own.
pytest_plugins = [
    "support.run_manifest", "support.run_secrets", "support.evidence_build", "support.fixtures", "support.run_budget",
    "support.report_hooks",
    "steps.customers", "steps.deposits", "steps.payments", "steps.clock", "steps.resolutions", "steps.callbacks",
    "steps.invoices", "steps.signoff",
    "support.channels", "steps.channels",
    "support.payouts", "steps.payouts",
]

ROOT = Path(__file__).parent
ENV_FILE_KEY = "CERTIFY_ENV_FILE"


def read_env_file(environ: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """The settings file: .env when present; a file named by CERTIFY_ENV_FILE must exist and be readable."""
    named = environ.get(ENV_FILE_KEY)
    path = Path(named) if named else ROOT / ".env"
    if not named and not path.is_file():
        return {}, []
    try:
        with open(path, encoding="utf-8") as handle:
            values = dotenv_values(stream=handle)
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        return {}, [f"{ENV_FILE_KEY if named else '.env'} names {path}, which cannot be read ({reason}); "
                    "name an existing settings file, or unset it to use .env"]
    return {key: value for key, value in values.items() if value is not None}, []


def shared_emulator_problem(config: pytest.Config, settings: Settings) -> str | None:
    """A standalone emulator with control has one clock, one callback URL and one delivery pause for the whole
    account: scenarios on several workers would move each other's time, so a run there is serial."""
    workers = getattr(config.option, "numprocesses", None)
    if settings.embedded_emulator or not settings.emulator_control_url or not workers:
        return None
    if workers == 1:
        return None
    return (f"-n {workers} against one standalone emulator with its control API (EMULATOR_CONTROL_URL): its clock, "
            "callback URL and delivery pause are shared by every scenario, so one worker's time travel would "
            "change another's invoice. Run it serially (no -n), or leave CRYPTOPAY_API_URL blank for the embedded "
            "default, which gives each worker its own emulator")


def pytest_configure(config: pytest.Config) -> None:
    # .env is read into the settings only, never into os.environ, so tests and the processes they start
    # see exactly the environment they were given; real environment variables win over the file.
    from_file, problems = read_env_file(dict(os.environ))
    try:
        settings = load_settings({**from_file, **os.environ}, ROOT)
    except ConfigError as exc:
        raise pytest.UsageError(str(ConfigError(problems + exc.problems))) from None
    if problems:
        raise pytest.UsageError(str(ConfigError(problems)))
    if not hasattr(config, "workerinput") and (problem := shared_emulator_problem(config, settings)):
        raise pytest.UsageError(str(ConfigError([problem])))
    config.stash[SETTINGS_KEY] = settings
