"""The run's one request budget: the controller makes its directory, hands it to every worker, deletes it at the end."""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from support.plugins.keys import SETTINGS_KEY
from support.plugins.run_kind import lists_only
from support.targets.pace import learn_pace
from support.targets.request_budget import CryptopayPace, close_run_budget, open_run_budget

BUDGET_DIR = "cryptopay_budget_dir"
PACE = "cryptopay_pace"
PREFIX = "cryptopay-budget-"
_OWNED_DIR = pytest.StashKey[Path]()
_PACE = pytest.StashKey[CryptopayPace]()


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    settings = config.stash.get(SETTINGS_KEY, None)
    if settings is None or settings.embedded_emulator or lists_only(config):
        return  # a listing sends Cryptopay nothing
    workerinput = getattr(config, "workerinput", None)
    if workerinput is None:
        remove_budgets_of_dead_runs(Path(tempfile.gettempdir()))
        # Private to this user (mkdtemp is mode 700), unique to this run, named after the process that owns it.
        directory = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-"))
        config.stash[_OWNED_DIR] = directory
        try:
            # Learnt once, before any worker starts: every worker spends the same budget on the same clock.
            config.stash[_PACE] = pace = learn_pace(settings)
            open_run_budget(settings, directory, workers=1, pace=pace)
        except BaseException:
            shutil.rmtree(directory, ignore_errors=True)
            raise
    else:
        open_run_budget(settings, Path(workerinput[BUDGET_DIR]), workers=int(workerinput.get("workercount", 1)),
                        pace=CryptopayPace.from_json(json.loads(workerinput[PACE])))


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:  # xdist: runs in the controller for each worker it starts
    directory = node.config.stash.get(_OWNED_DIR, None)
    if directory is not None:
        node.workerinput[BUDGET_DIR] = str(directory)
        node.workerinput[PACE] = json.dumps(node.config.stash[_PACE].to_json())


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    close_run_budget()
    directory = config.stash.get(_OWNED_DIR, None)
    if directory is not None:
        shutil.rmtree(directory, ignore_errors=True)


def remove_budgets_of_dead_runs(parent: Path) -> None:
    """A run that was killed (SIGKILL skips pytest_unconfigure) left its bucket behind: the next run removes it."""
    for directory in parent.glob(f"{PREFIX}*-*"):
        owner = directory.name[len(PREFIX):].split("-", 1)[0]
        if owner.isdigit() and not _alive(int(owner)):
            shutil.rmtree(directory, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's live process
    return True
