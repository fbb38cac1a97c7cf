"""Steps about the go-live sign-off by the teams that handle risk holds (checklist item 14)."""
from __future__ import annotations

from datetime import date

from pytest_bdd import given, then, when

from support.evidence import Evidence
from support.settings import Settings
from support.signoff import SignOffReport, check_signoff


@given("the merchant's go-live sign-off file", target_fixture="signoff_path")
def signoff_file(settings: Settings):
    return settings.signoff_file


@when("the sign-off is checked", target_fixture="signoff")
def check(signoff_path, settings: Settings, evidence: Evidence) -> SignOffReport:
    # The shipped example belongs to the reference merchant: it may sign only for the reference merchant.
    report = check_signoff(signoff_path, date.today(), example_allowed=settings.embedded_merchant)
    evidence.attach_json("Go-live sign-off", {
        "file": report.file, "problems": report.problems, "missing_teams": report.missing_teams,
        "dated_in_the_future": [s.team for s in report.future_dated],
        "acknowledgements": [{"team": s.team, "name": s.name, "date": s.signed_on.isoformat(),
                              "acknowledged": s.statement} for s in report.accepted]})
    return report


@then("Support, Finance, Fraud and Transaction Monitoring have each acknowledged how risk scoring and holds work")
def all_teams(signoff: SignOffReport) -> None:
    assert not signoff.failure(), signoff.failure()
