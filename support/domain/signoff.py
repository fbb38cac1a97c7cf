"""Validates the go-live sign-off file: per product, every team that must understand risk holds acknowledged them."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import yaml

TEAMS = ("Support", "Finance", "Fraud", "Transaction Monitoring")
# The products whose checklist asks for the teams' sign-off (invoices item 14, channels item 8); payouts has none.
SIGNOFF_PRODUCTS = ("invoices", "channels")


@dataclass(frozen=True)
class SignOff:
    team: str
    name: str
    signed_on: date
    statement: str


@dataclass(frozen=True)
class SignOffReport:
    file: str
    accepted: list[SignOff]
    problems: list[str]
    future_dated: list[SignOff] = field(default_factory=list)  # complete entries, refused only for their date
    product: str = "invoices"

    @property
    def missing_teams(self) -> list[str]:
        # A team whose entry is dated in the future did sign; that is its own problem, not a missing team.
        present = {s.team for s in self.accepted + self.future_dated}
        return [team for team in TEAMS if team not in present]

    def failure(self) -> str:
        """Every reason the sign-off is not accepted, each by name; empty when it is accepted."""
        reasons = list(self.problems)
        if self.missing_teams:
            reasons.append(f"missing teams: {', '.join(self.missing_teams)}")
        return f"{self.product} {NOT_ACCEPTED}" + "; ".join(reasons) if reasons else ""


EXAMPLE_MARK = "(reference merchant)"
NOT_ACCEPTED = "sign-off not accepted: "
REFERENCE_EXAMPLE = "the reference merchant's example"
_FIX_EXAMPLE = ("copy signoff.example.yml to a file of your own, put your own Support, Finance, Fraud and Transaction "
                "Monitoring people in it (name, date, what each team acknowledged) in place of the example's, and set "
                "GO_LIVE_SIGNOFF_FILE to that file")
_FIX_ENTRIES = ("add each team's acknowledgement (team, name, date not in the future, what was acknowledged) to the "
                "sign-off file (GO_LIVE_SIGNOFF_FILE, default signoff.yml; see signoff.example.yml)")


def signoff_fix(reasons: str) -> str:
    """What to do about the reasons failure() gave: the shipped example is replaced, not completed."""
    return _FIX_EXAMPLE if REFERENCE_EXAMPLE in reasons else _FIX_ENTRIES


def check_signoff(path: Path, today: date, example_allowed: bool = False, product: str = "invoices") -> SignOffReport:
    """The teams' sign-off for one product's risk holds: its section of the file (invoices: or channels:); a file
    with one flat 'acknowledgements' list, as before there were sections, is the invoices sign-off."""
    if product not in SIGNOFF_PRODUCTS:
        raise ValueError(f"{product} has no sign-off item; only {', '.join(SIGNOFF_PRODUCTS)} have one")
    if not path.is_file():
        return SignOffReport(str(path), [], [f"sign-off file {path} does not exist (see signoff.example.yml)"],
                             product=product)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        return SignOffReport(str(path), [], [f"sign-off file is not valid YAML: {exc.__class__.__name__}"],
                             product=product)
    entries, problem = _section(raw, product)
    if problem:
        return SignOffReport(str(path), [], [problem], product=product)
    accepted, future_dated, problems = [], [], []
    for index, entry in enumerate(entries, start=1):
        problem = _entry_problem(entry)
        if problem:
            problems.append(f"acknowledgement {index}: {problem}")
            continue
        signed = SignOff(entry["team"], entry["name"].strip(), _as_date(entry["date"]), entry["acknowledged"].strip())
        if signed.signed_on > today:
            future_dated.append(signed)
            problems.append(f"acknowledgement {index}: {signed.team}'s sign-off ({signed.name}) is dated in the "
                            f"future: {signed.signed_on.isoformat()}, today is {today.isoformat()}")
        else:
            accepted.append(signed)
    if not example_allowed and any(EXAMPLE_MARK in s.name for s in accepted + future_dated):
        problems.append(f"{path.name} is {REFERENCE_EXAMPLE} (its names end in '{EXAMPLE_MARK}'), refused for an "
                        "outside merchant, whose own teams sign")
    return SignOffReport(str(path), accepted, problems, future_dated, product)


def _section(raw: object, product: str) -> tuple[list, str | None]:
    """The product's list of acknowledgements, or why there is none."""
    if not isinstance(raw, dict):
        return [], "sign-off file needs a section per product (invoices:, channels:) with a list under " \
                   "'acknowledgements' (see signoff.example.yml)"
    flat = "acknowledgements" in raw
    if flat and product == "invoices" and "invoices" in raw:
        return [], "sign-off file has both a flat 'acknowledgements' list and an 'invoices:' section; keep the section"
    if flat and product == "invoices":
        where, entries = "'acknowledgements'", raw["acknowledgements"]  # today's flat file is the invoices sign-off
    elif product not in raw:
        return [], (f"sign-off file has no '{product}:' section: add the teams' acknowledgements of {product} risk "
                    "holds (see signoff.example.yml)")
    else:
        section = raw[product]
        where, entries = f"'{product}: acknowledgements'", section.get("acknowledgements") \
            if isinstance(section, dict) else None
    if not isinstance(entries, list):
        return [], f"sign-off file needs a list under {where}"
    return entries, None


def _as_date(value: object) -> date:
    if isinstance(value, datetime):  # YAML reads "2026-01-05 10:00" as a datetime, which cannot compare to a date
        return value.date()
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _entry_problem(entry: object) -> str | None:
    """What makes an entry unreadable as a sign-off; its date being in the future is judged by the caller."""
    if not isinstance(entry, dict):
        return "must be a mapping with team, name, date and acknowledged"
    if entry.get("team") not in TEAMS:
        return f"team must be one of {', '.join(TEAMS)}"
    if not isinstance(entry.get("name"), str) or not entry["name"].strip():
        return "name (who signed) is required"
    try:
        _as_date(entry.get("date"))
    except ValueError:
        return "date must be an ISO date (YYYY-MM-DD)"
    if not isinstance(entry.get("acknowledged"), str) or len(entry["acknowledged"].strip()) < 20:
        return "acknowledged must state, in a sentence, what the team understood"
    return None
