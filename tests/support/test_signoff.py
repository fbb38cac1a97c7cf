"""The go-live sign-off check names each problem for what it is: a future date is not a missing team."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from support.signoff import TEAMS, check_signoff

TODAY = date(2026, 11, 25)
STATEMENT = "Held deposits stay pending until Cryptopay's monitoring team decides."


def _write(tmp_path: Path, dates: dict[str, str]) -> Path:
    lines = ["acknowledgements:"]
    for team, signed_on in dates.items():
        lines += [f"  - team: {team}", f"    name: Someone in {team}", f"    date: {signed_on}",
                  f"    acknowledged: {STATEMENT}"]
    path = tmp_path / "signoff.yml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_four_teams_signed_on_or_before_today_are_accepted(tmp_path: Path) -> None:
    report = check_signoff(_write(tmp_path, {team: "2026-11-25" for team in TEAMS}), TODAY)
    assert report.failure() == "" and [s.team for s in report.accepted] == list(TEAMS)


def test_a_sign_off_dated_in_the_future_is_reported_as_such_not_as_a_missing_team(tmp_path: Path) -> None:
    dates = {team: "2026-11-20" for team in TEAMS} | {"Finance": "2027-01-05"}
    report = check_signoff(_write(tmp_path, dates), TODAY)
    assert report.missing_teams == [] and [s.team for s in report.future_dated] == ["Finance"]
    failure = report.failure()
    assert "Finance" in failure and "dated in the future" in failure and "2027-01-05" in failure, failure
    assert "missing teams" not in failure, failure


def test_a_missing_team_and_a_future_date_are_both_named(tmp_path: Path) -> None:
    report = check_signoff(_write(tmp_path, {"Support": "2026-11-20", "Fraud": "2026-12-01"}), TODAY)
    failure = report.failure()
    assert "missing teams: Finance, Transaction Monitoring" in failure, failure
    assert "Fraud's sign-off (Someone in Fraud) is dated in the future: 2026-12-01" in failure, failure


@pytest.mark.parametrize("written", ["2026-11-20 09:30:00", "2026-11-20"])
def test_a_date_with_a_time_of_day_is_read_as_its_day(tmp_path: Path, written: str) -> None:
    report = check_signoff(_write(tmp_path, {team: written for team in TEAMS}), TODAY)
    assert report.failure() == "" and all(s.signed_on == date(2026, 11, 20) for s in report.accepted)
