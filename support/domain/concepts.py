"""The concepts every product shares, over one small adapter per product: what Cryptopay reports, what the merchant
records and whether the two match, the object's notifications (which ones Cryptopay sent and the merchant
acknowledged, and what a forged one claims). steps/concepts.py generates each concept's steps for each product from
its adapter; each product's adapter lives beside its helpers (DEPOSITS in deposits.py, PAYMENTS in channels.py,
PAYOUTS in payouts.py) and support/domain/products.py lists them.

Adding a scenario for a product needs no new step for these concepts: write the shared sentence with the product's
noun ("Cryptopay reports the payout as on hold", 'Cryptopay sends the "cancelled" notification of the payout 50
times at once'). Adding a product is one adapter, and one call in steps/concepts.py."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable

from cryptopay_client.rails_json import rails_json
from support.domain.callbacks import is_acknowledged
from support.domain.parameters import Status
from support.domain.timetravel import until_cryptopay
from support.drivers.cryptopay import CryptopayDriver
from support.drivers.emulator import EmulatorControl
from support.drivers.merchant import MerchantAdapter
from support.drivers.waiting import answered_but_not, either, final_elsewhere, wait_until

# A scenario's fixtures by name: the value, or None when the scenario has none of that name.
Lookup = Callable[[str], Any]


@dataclass(frozen=True)
class Notification:
    """One of a product's notifications as the features name it ("completed", "payment seen"): its event in the
    body Cryptopay sends, and the status of the object it carries (None: whichever it carries)."""
    event: str
    status: str | None = None


class ProductAdapter:
    """How the shared concepts reach one product's object (a deposit's invoice, a payment to a deposit address, a
    payout). A product sets its words and overrides the reads; where a concept differs per product (what a forged
    notification claims, whether Cryptopay's time must be moved for the object to move on), the adapter says so."""
    product: str                 # its checklist, checklists/<product>.py
    noun: str                    # the object in the features' words: "Cryptopay reports the <noun> as ..."
    kind: str                    # Cryptopay's name for it in messages: "invoice", "channel payment", "payout"
    fixture: str                 # the scenario's fixture that holds it
    callback_type: str           # the "type" of its notifications: Invoice, ChannelPayment, CoinWithdrawal
    final: frozenset[str]        # its final statuses: a record in one of them never changes
    notifications: dict[str, Notification]
    amount_field: str            # the amount a tampered notification has changed
    subject: str                 # what a forged notification is about, in the features' words (a parse pattern)
    moves_time: bool = False     # it moves on by Cryptopay's time (a payout's steps), which the control API moves
    resent_by_cryptopay: bool = False  # the emulator's own resend carries it as it is now
    too_slow: tuple[str, str] | None = None  # (why, fix) when Cryptopay takes longer than the wait without control
    merchant_log_route: str | None = None  # the probe extension showing the merchant's own callback log, if any

    def thing(self, value: Any) -> Any:
        """The object, from the value of the scenario's fixture."""
        return value

    def object_id(self, thing: Any) -> str:
        """Its id at Cryptopay: what its notifications and its delivery log are about."""
        raise NotImplementedError

    def requested(self, thing: Any) -> tuple[Decimal, str] | None:
        """What the customer asked for, where the object says it (a deposit's price)."""
        return None

    def named(self, thing: Any) -> str:
        return f"{self.kind} {self.object_id(thing)}"

    def at_cryptopay(self, cryptopay: CryptopayDriver, thing: Any) -> dict:
        raise NotImplementedError

    def status_of(self, found: dict) -> Status:
        return Status(found["status"], found.get("status_context"))

    def recorded(self, merchant: MerchantAdapter, thing: Any) -> dict | None:
        """The merchant's record as JSON (with its status), or None when it has none."""
        raise NotImplementedError

    def record_problem(self, record: dict, thing: Any) -> str | None:
        """Why a record in the right status is still not this object's (another customer's, say); None if it is."""
        return None

    def as_notified(self, found: dict, status: str | None) -> dict:
        """The object as a notification carrying `status` showed it, from the object as Cryptopay reads it now."""
        assert status is None or found["status"] == status, (
            f"{self.kind} {found.get('id')} is {found['status']} at Cryptopay, not {status}")
        return found

    def render(self, name: str, data: dict, indent: int | None = None) -> bytes:
        """The notification `name` carrying `data`, as Cryptopay's Rails encoder writes it."""
        return rails_json({"type": self.callback_type, "event": self.notifications[name].event, "data": data},
                          indent=indent)

    def merchant_log(self, merchant: MerchantAdapter, thing: Any) -> list[dict] | None:
        """The notifications the merchant's own callback log shows for it (event, status, state, answers), where its
        probe offers one; None otherwise."""
        return None

    def claimed(self, subject: str, name: str, lookup: Lookup, cryptopay: CryptopayDriver) -> tuple[dict, bytes, bytes]:
        """What a forged notification `name` about `subject` claims: the object it claims, the body, and a genuine
        earlier notification of the same object whose signature a misdirected one carries."""
        raise NotImplementedError

    def decide_hold(self, control: EmulatorControl, thing: Any, outcome: str) -> dict:
        """Cryptopay's monitoring team decides a held payment: `completed` (legitimate) or `refunded` (illicit)."""
        raise NotImplementedError(f"Cryptopay's monitoring team decides no {self.kind}")

    def scenario_things(self, lookup: Lookup) -> list[Any]:
        """The product's objects the scenario made (none when it made none)."""
        value = lookup(self.fixture)
        return [] if value is None else [self.thing(value)]


def scenario_lookup(request: Any) -> Lookup:
    """The scenario's fixtures by name (a pytest FixtureRequest's): None for one the scenario has not made."""
    return lambda name: request.getfixturevalue(name) if name in request.fixturenames else None


def record_status(record: dict) -> Status:
    return Status(record["status"], record.get("status_context"))


def as_dict(status: Status) -> dict:
    return {"status": status.status, "status_context": status.context}


# -- what Cryptopay reports and what the merchant records --------------------------------------------------------------
def reported(product: ProductAdapter, cryptopay: CryptopayDriver, control: EmulatorControl | None, thing: Any,
             status: Status, timeout: float) -> dict:
    """The object as Cryptopay reports it, once in `status`: waited for, or, for an object that moves on by
    Cryptopay's time, moved on deadline by deadline with the control API (support/domain/timetravel.py)."""
    return until_cryptopay(lambda: product.at_cryptopay(cryptopay, thing),
                           lambda found: product.status_of(found) == status,
                           control=control if product.moves_time else None, object_id=product.object_id(thing),
                           timeout=timeout, expected=f"Cryptopay to report {product.named(thing)} as {status}",
                           pace=cryptopay.poll_pace(), too_slow=product.too_slow)


def recorded_as(product: ProductAdapter, merchant: MerchantAdapter, thing: Any, status: Status, timeout: float,
                settled: Callable[[], bool] | None = None) -> dict:
    """The merchant's record once it shows `status`; a record already final elsewhere, or still elsewhere once
    the merchant has answered every notification (`settled`), fails at once."""
    def status_of(record: dict | None) -> str | None:
        return record["status"] if record else None
    return wait_until(lambda: product.recorded(merchant, thing),
                      lambda record: record is not None and record_status(record) == status, timeout=timeout,
                      expected=f"the merchant to record {product.named(thing)} as {status}",
                      decided=either(final_elsewhere(status.status, product.final, status_of),
                                     answered_but_not(status.status, settled, status_of)))


def both_statuses(product: ProductAdapter, cryptopay: CryptopayDriver, merchant: MerchantAdapter,
                  thing: Any) -> dict:
    """Cryptopay's status and the merchant's, each read now (Cryptopay's may move on between reads)."""
    record = product.recorded(merchant, thing)
    return {"cryptopay": as_dict(product.status_of(product.at_cryptopay(cryptopay, thing))),
            "merchant": as_dict(record_status(record)) if record else {"status": None, "status_context": None}}


# -- the object's notifications --------------------------------------------------------------------------------------
def notifications_seen(product: ProductAdapter, thing: Any, control: EmulatorControl | None,
                       merchant: MerchantAdapter) -> tuple[str, list[dict]] | None:
    """(where it was read, [event, status carried, state, the merchant's answers]) in delivery order: Cryptopay's
    delivery log where the emulator shows it, else the merchant's own callback log; None if neither is visible."""
    if control is not None:
        return ("Cryptopay's delivery log (emulator)",
                [delivery.evidence() for delivery in control.deliveries(product.object_id(thing))])
    rows = product.merchant_log(merchant, thing)
    return None if rows is None else ("the merchant's callback log (probe extension)", rows)


def acknowledged(rows: list[dict], wanted: list[Notification]) -> bool:
    """Every wanted notification has a delivery the merchant answered 200, whichever log shows it."""
    def done(notification: Notification) -> bool:
        return any(row["event"] == notification.event
                   and notification.status in (None, row["status"])
                   and any(is_acknowledged(answer) for answer in row["answers"]) for row in rows)
    return all(done(notification) for notification in wanted)


def notification_body(product: ProductAdapter, name: str, thing: Any, control: EmulatorControl | None,
                      cryptopay: CryptopayDriver) -> tuple[bytes, str | None]:
    """The exact bytes Cryptopay delivered for the notification and its delivery's id where the delivery log shows
    them; otherwise rebuilt from Cryptopay's GET, carrying the status the notification carried (no id)."""
    notification = product.notifications[name]
    delivery = (control.delivery(product.object_id(thing), notification.event, notification.status)
                if control is not None else None)
    if delivery is not None:
        return delivery.body.encode(), delivery.id
    found = product.at_cryptopay(cryptopay, thing)
    return product.render(name, product.as_notified(found, notification.status)), None
