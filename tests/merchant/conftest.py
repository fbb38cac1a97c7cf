"""Fixtures for the reference merchant's tests: a shop on SQLite, or on SQLite and PostgreSQL in turn."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from tests.merchant.harness import Shop, fresh_postgres_database, running_shop, sqlite_url


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[Shop]:
    with running_shop(sqlite_url(tmp_path)) as started:
        yield started


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The same test against a SQLite file and against a real PostgreSQL server (skipped with its reason)."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path)
    else:
        with fresh_postgres_database() as url:
            yield url


@pytest.fixture
def any_db_shop(database_url: str) -> Iterator[Shop]:
    with running_shop(database_url) as started:
        yield started
