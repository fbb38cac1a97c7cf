"""The reference merchant: a small, correct Cryptopay integration with a real database and the certification probe.

Its three products sit side by side, each in the same three parts:

| product | records and the desk a customer's request goes to | callback handler (confirm, move money, record) |
| --- | --- | --- |
| invoices (deposits) | `deposits.py`: `Deposits`, `DepositDesk` | `invoice_callbacks.py`: `InvoiceProcessor` |
| channels | `channels.py`: `Channels`, `ChannelPayments` | `channel_callbacks.py`: `ChannelPaymentProcessor` |
| payouts | `payouts.py`: `Payouts`, `PayoutDesk` | `payout_callbacks.py`: `CoinWithdrawalProcessor` |

Every callback goes through one envelope first (`callbacks.py`: the signature over the raw bytes, the JSON, the
log), and every handler through one confirm-or-503 step (`confirmations.py`: Cryptopay's GET decides, by the
handler's own final statuses). Money moves before the status is recorded, so whoever reads a final status sees
the money. `ledger.py` keeps every move exactly once; `app.py` wires it all; `routes.py` and `routes_v2.py` are
the HTTP side; `reconciliation.py` settles payouts a crash left half-way.
"""
from reference_merchant.app import MerchantConfig, create_app

__all__ = ["MerchantConfig", "create_app"]
