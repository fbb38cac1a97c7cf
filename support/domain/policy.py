"""The account's unresolved-invoice policies and what each does, read from the table in policy.feature."""
from __future__ import annotations

from dataclasses import dataclass

from support.domain.parameters import Status, split_status

# The dashboard's choices in plain words, and the value UNRESOLVED_POLICY_* declares for each.
POLICIES = {"do nothing": "do_nothing", "refund": "refund", "recalculate": "recalculate"}
CONTEXTS = ("underpaid", "overpaid", "paid_late")


@dataclass(frozen=True)
class PolicyOutcomes:
    """(declared policy, kind of unresolved invoice) -> the (status, status_context) Cryptopay ends it in."""
    outcomes: dict[tuple[str, str], Status]

    def outcome(self, policy: str, context: str) -> Status:
        return self.outcomes[(policy, context)]


def read_policy_table(rows: list[list[str]]) -> PolicyOutcomes:
    """A header row of kinds ("underpaid", "overpaid", "paid late"), then one row per policy; every pair stated."""
    header, *body = rows
    contexts = [cell.strip().replace(" ", "_") for cell in header[1:]]
    outcomes = {}
    for policy, *cells in body:
        for context, cell in zip(contexts, cells, strict=True):
            outcomes[(POLICIES[policy.strip()], context)] = split_status(cell.strip())
    missing = [f"{p}/{c}" for p in POLICIES.values() for c in CONTEXTS if (p, c) not in outcomes]
    if missing:
        raise ValueError(f"the policy table does not say what happens for {', '.join(missing)}")
    return PolicyOutcomes(outcomes)
