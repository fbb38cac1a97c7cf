"""Cryptopay's own hiccups a merchant must survive, made certain with the emulator's control API: notifications that
overtake Cryptopay's answer to the merchant's create request, and a status check that fails while the merchant
handles a notification (the merchant must then answer with a failure, so that Cryptopay sends it again)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from support.domain.callbacks import wait_until_settled
from support.domain.concepts import ProductAdapter
from support.drivers.emulator import EmulatorControl
from support.drivers.waiting import EnvironmentFailure, wait_until

_QUOTED = re.compile(r'"([^"]+)"')


# -- notifications before the create answer ---------------------------------------------------------------------------
def early_notice_used(control: EmulatorControl, notice: dict, object_id: str, named: str) -> dict:
    """The armed notice as the emulator shows it once the merchant's create of `object_id` (`named`: "invoice X")
    used it: the object notified first and the merchant's answers to those notifications."""
    found = next((n for n in control.early_notifications() if n["id"] == notice["id"]), None)
    assert found is not None, f"the emulator no longer shows the notice {notice['id']}: was it reset mid-scenario?"
    if found["error_code"]:
        raise EnvironmentFailure(
            f"the emulator could not pay {named} the moment it existed ({found['error_code']}): the scenario's "
            "payment, not the merchant, is at fault", "report it with the evidence: the suite's payment is wrong")
    assert found["used_by"] == object_id, (
        f"Cryptopay's notice for the customer's next create was used by {found['used_by']}, not by {named}: the "
        f"merchant's create request did not carry the customer's id ({notice['customer_id']}) as customer_id")
    # Sent before the answer left, whenever the merchant answered them (one that waits for its own record of the
    # create answers them after it, and is judged by what it then records and credits).
    assert found["notifications"], f"Cryptopay sent no notification of {named} before its answer: {found}"
    return found


# -- a status check that fails while a notification is handled ---------------------------------------------------------
@dataclass(frozen=True)
class FailingChecks:
    """The merchant's status checks of an object Cryptopay fails once each, while it handles these notifications."""
    product: ProductAdapter
    object_id: str
    names: tuple[str, ...]  # the notifications, in the features' words

    @property
    def events(self) -> list[str]:
        return [self.product.notifications[name].event for name in self.names]


def quoted_names(product: ProductAdapter, text: str) -> tuple[str, ...]:
    """The notifications named in quotes in `text` ('"payment confirmed" and "completed"'), each one of the
    product's."""
    names = tuple(_QUOTED.findall(text))
    unknown = [name for name in names if name not in product.notifications]
    if not names or unknown:
        raise ValueError(f"{text!r} names no {product.kind} notification ({', '.join(product.notifications)})")
    return names


def fail_status_checks(control: EmulatorControl, product: ProductAdapter, object_id: str, names: tuple[str, ...],
                       timeout: float) -> tuple[FailingChecks, dict]:
    """Arms as many failing status checks as notifications named, once every notification sent so far is answered
    (so none of them meets a failure meant for a later one); the checks and the emulator's armed failure."""
    wait_until_settled(control, [object_id], timeout)
    return FailingChecks(product, object_id, names), control.fail_reads(object_id, count=len(names))


def answered_despite_failures(control: EmulatorControl, checks: FailingChecks, timeout: float) -> dict:
    """Once the merchant has answered (at least once) each of the named notifications: the reads Cryptopay failed
    and those notifications' deliveries. A merchant that checks the status outside its handling of a notification
    meets no failure, and is not blamed for it: the evidence shows it."""
    def seen() -> dict:
        deliveries = [d for d in control.deliveries(checks.object_id) if d.event in checks.events]
        failed = [read for fault in control.read_failures(checks.object_id) for read in fault["failed"]]
        return {"failed_status_checks": failed, "notifications": [d.evidence() for d in deliveries],
                "answered": {d.event for d in deliveries if d.attempted}}
    found = wait_until(seen, lambda s: set(checks.events) <= s["answered"], timeout=timeout,
                       expected=f"the merchant to answer the {', '.join(checks.names)} notification(s) of "
                                f"{checks.product.kind} {checks.object_id}")
    found["answered"] = sorted(found["answered"])
    return found
