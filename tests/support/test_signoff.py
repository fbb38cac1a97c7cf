"""The go-live sign-off check names each problem for what it is: a future date is not a missing team."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from support.domain.signoff import TEAMS, check_signoff

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


def _sections(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "signoff.yml"
    path.write_text(text, encoding="utf-8")
    return path


def _entries(indent: str, teams: tuple[str, ...] = TEAMS) -> str:
    return "".join(f"{indent}- team: {team}\n{indent}  name: Someone in {team}\n{indent}  date: 2026-11-20\n"
                   f"{indent}  acknowledged: {STATEMENT}\n" for team in teams)


def test_each_product_is_judged_by_its_own_section(tmp_path: Path) -> None:
    path = _sections(tmp_path, "invoices:\n  acknowledgements:\n" + _entries("    ") +
                     "channels:\n  acknowledgements:\n" + _entries("    ", ("Support", "Fraud")))
    assert check_signoff(path, TODAY).failure() == ""
    failure = check_signoff(path, TODAY, product="channels").failure()
    assert failure == "channels sign-off not accepted: missing teams: Finance, Transaction Monitoring", failure


def test_a_flat_file_is_the_invoices_sign_off_and_names_the_missing_channels_section(tmp_path: Path) -> None:
    path = _write(tmp_path, {team: "2026-11-20" for team in TEAMS})
    assert check_signoff(path, TODAY, product="invoices").failure() == ""
    failure = check_signoff(path, TODAY, product="channels").failure()
    assert "no 'channels:' section" in failure and "signoff.example.yml" in failure, failure


def test_a_flat_list_beside_an_invoices_section_is_refused_as_ambiguous(tmp_path: Path) -> None:
    path = _sections(tmp_path, "acknowledgements:\n" + _entries("  ") + "invoices:\n  acknowledgements:\n" +
                     _entries("    "))
    assert "both a flat 'acknowledgements' list and an 'invoices:' section" in check_signoff(path, TODAY).failure()


def test_payouts_has_no_sign_off_item(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="payouts has no sign-off item"):
        check_signoff(_write(tmp_path, {}), TODAY, product="payouts")


@pytest.mark.parametrize("name", ["signoff.yml", "signoff.example.yml"])
def test_the_shipped_files_have_both_sections_and_sign_only_for_the_reference_merchant(name: str) -> None:
    path = Path(__file__).resolve().parents[2] / name
    for product in ("invoices", "channels"):
        assert check_signoff(path, TODAY, example_allowed=True, product=product).failure() == ""
        assert "reference merchant's example" in check_signoff(path, TODAY, product=product).failure()
