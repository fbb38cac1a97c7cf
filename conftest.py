"""Root pytest wiring: settings validated before anything runs, step modules registered as plugins."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from dotenv import dotenv_values

from steps.keys import SETTINGS_KEY
from support.settings import ConfigError, load_settings

pytest_plugins = ["steps.fixtures", "steps.reporting", "steps.customers", "steps.deposits", "steps.payments",
                  "steps.clock", "steps.resolutions", "steps.callbacks", "steps.invoices", "steps.signoff"]

ROOT = Path(__file__).parent


def pytest_configure(config: pytest.Config) -> None:
    env_file = os.environ.get("CERTIFY_ENV_FILE", str(ROOT / ".env"))
    # .env is read into the settings only, never into os.environ, so tests and the processes they start
    # see exactly the environment they were given; real environment variables win over the file.
    from_file = dotenv_values(env_file) if env_file and Path(env_file).is_file() else {}
    from_file = {key: value for key, value in from_file.items() if value is not None}
    try:
        config.stash[SETTINGS_KEY] = load_settings({**from_file, **os.environ}, ROOT)
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None
