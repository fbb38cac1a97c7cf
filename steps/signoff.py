"""Steps about the go-live sign-off by the teams that handle risk holds (invoices item 14, channels item 8)."""
from __future__ import annotations

from datetime import date

from pytest_bdd import given, parsers, then, when

from support.domain.signoff import SIGNOFF_PRODUCTS, SignOffReport, check_signoff
from support.evidence.attachments import Evidence
from support.targets.settings import Settings

# The sign-off's sections by the features' names for what each product's holds are about.
PRODUCT_WORDS = {"deposits": "invoices", "payments to deposit addresses": "channels"}


@given("the merchant's go-live sign-off file", target_fixture="signoff_path")
def signoff_file(settings: Settings):
    return settings.signoff_file


@when("the sign-off is checked", target_fixture="signoffs")
def check(signoff_path, settings: Settings, evidence: Evidence) -> dict[str, SignOffReport]:
    # The shipped example belongs to the reference merchant: it may sign only for the reference merchant.
    reports = {product: check_signoff(signoff_path, date.today(), example_allowed=settings.embedded_merchant,
                                      product=product) for product in SIGNOFF_PRODUCTS}
    for product, report in reports.items():
        evidence.attach_json(f"Go-live sign-off: {product}", {
            "file": report.file, "problems": report.problems, "missing_teams": report.missing_teams,
            "dated_in_the_future": [s.team for s in report.future_dated],
            "acknowledgements": [{"team": s.team, "name": s.name, "date": s.signed_on.isoformat(),
                                  "acknowledged": s.statement} for s in report.accepted]})
    return reports


@then(parsers.parse("Support, Finance, Fraud and Transaction Monitoring have each acknowledged how risk scoring and "
                    "holds work for {product}"))
def all_teams(product: str, signoffs: dict[str, SignOffReport]) -> None:
    """The invoice checklist's wording (item 14), for each product that holds risky payments."""
    name = PRODUCT_WORDS.get(product)
    assert name is not None, f"no sign-off for the holds of '{product}': say {', '.join(sorted(PRODUCT_WORDS))}"
    assert not signoffs[name].failure(), signoffs[name].failure()
