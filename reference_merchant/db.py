"""Tables and engine. Amounts are stored as decimal strings so no database ever turns money into floats."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (Boolean, Column, DateTime, Integer, MetaData, String, Table, Text, UniqueConstraint,
                        create_engine, event, insert, inspect, select)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

metadata = MetaData()

# A deposit row is written BEFORE the invoice is created at Cryptopay, keyed by our own custom_id: Cryptopay may
# send the invoice's first callback before its create call has even answered, and an invoice whose create call
# timed out may still exist. Either way the callback finds the deposit through custom_id and is not lost.
deposits = Table(
    "deposits", metadata,
    Column("custom_id", String(128), primary_key=True),
    Column("invoice_id", String(64), unique=True),  # NULL until Cryptopay has answered (or a callback told us)
    Column("customer_id", String(128), nullable=False, index=True),
    Column("price_amount", String(64), nullable=False),
    Column("price_currency", String(16), nullable=False),
    Column("status", String(32), nullable=False),
    Column("status_context", String(32)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# One row per credited invoice. The UNIQUE constraint, not application code, is what makes crediting exactly-once.
credits = Table(
    "credits", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("invoice_id", String(64), nullable=False),
    Column("customer_id", String(128), nullable=False, index=True),
    Column("amount", String(64), nullable=False),
    Column("currency", String(16), nullable=False),
    Column("credited_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("invoice_id", name="uq_credits_invoice"),
)

# Every other move of a customer's money: channel credits, staging funding, payout debits and their refunds.
# UNIQUE(kind, reference) is what makes each exactly-once: one credit per channel payment, one debit and at most one
# refund per payout. Amounts are signed decimal strings (a debit is negative).
balance_moves = Table(
    "balance_moves", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),  # channel_credit | funding | payout_debit | payout_refund
    Column("reference", String(128), nullable=False),  # the channel payment id, the payout id, a funding id
    Column("customer_id", String(128), nullable=False, index=True),
    Column("amount", String(64), nullable=False),
    Column("currency", String(16), nullable=False),
    Column("moved_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("kind", "reference", name="uq_balance_moves_kind_reference"),
)

# One row per customer, updated at the start of every debit: it serialises one customer's debits (a row lock on
# PostgreSQL, the write lock on SQLite), so two withdrawals cannot both spend the same balance.
customer_locks = Table(
    "customer_locks", metadata,
    Column("customer_id", String(128), primary_key=True),
    Column("debits", Integer, nullable=False),
)

# A channel row is written BEFORE Cryptopay is asked for the channel, keyed by our custom_id, for the reasons given
# for deposits. UNIQUE(customer_id, pay_currency): one channel per customer and coin, even under concurrent asks.
channels = Table(
    "channels", metadata,
    Column("custom_id", String(128), primary_key=True),
    Column("channel_id", String(64), unique=True),  # NULL until Cryptopay has answered
    Column("customer_id", String(128), nullable=False),
    Column("pay_currency", String(16), nullable=False),
    Column("receive_currency", String(16), nullable=False),
    Column("address", String(256)),
    Column("network", String(64)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("customer_id", "pay_currency", name="uq_channels_customer_coin"),
)

# The status the merchant last accepted for each payment to one of its channels (after Cryptopay's GET).
channel_payments = Table(
    "channel_payments", metadata,
    Column("channel_payment_id", String(64), primary_key=True),
    Column("channel_id", String(64), nullable=False, index=True),
    Column("customer_id", String(128), nullable=False),
    Column("status", String(32), nullable=False),
    Column("status_context", String(32)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# A payout row is written BEFORE Cryptopay is asked for the coin withdrawal; payout_id is also its custom_id there.
payouts = Table(
    "payouts", metadata,
    Column("payout_id", String(128), primary_key=True),
    Column("coin_withdrawal_id", String(64), unique=True),  # NULL until Cryptopay has answered
    Column("customer_id", String(128), nullable=False, index=True),
    Column("amount", String(64), nullable=False),  # what the customer asked to withdraw, in currency
    Column("currency", String(16), nullable=False),
    Column("pay_currency", String(16), nullable=False),
    Column("address", String(256), nullable=False),
    Column("status", String(32)),  # the coin withdrawal's status as last accepted; NULL before Cryptopay answered
    Column("refusal", String(64)),  # why it was refused (high_risk_address, insufficient_funds, ...); NULL if not
    Column("refusal_message", String(300)),  # what the customer was told
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

callback_log = Table(
    "callback_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("invoice_id", String(64), index=True),  # the callback's object id: invoice, channel payment or withdrawal
    Column("event", String(64)),
    Column("signature_valid", Boolean, nullable=False),
    Column("answered_status", Integer, nullable=False),  # what the callback endpoint answered Cryptopay
    Column("outcome", String(200), nullable=False),
    Column("raw_body", Text, nullable=False),
)

# Callbacks refused for their signature are anyone's to send, as many and as large as they like. Keeping each one
# (20 KB at a time) let a flood fill the disk, so the merchant keeps a count and only the latest REJECTED_KEPT, each
# cut to a short prefix: a fixed amount of disk, however long the flood. Signed callbacks, which only Cryptopay can
# send, stay whole in callback_log: they are the evidence.
REJECTED_KEPT = 100
REJECTED_PREFIX = 256
rejected_callbacks = Table(
    "rejected_callbacks", metadata,
    Column("slot", Integer, primary_key=True),  # number % REJECTED_KEPT: each new one replaces the oldest kept
    Column("number", Integer, nullable=False),  # which rejected callback this was, counting from 1
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("answered_status", Integer, nullable=False),
    Column("outcome", String(200), nullable=False),
    Column("body_bytes", Integer, nullable=False),  # the whole body's length
    Column("body_prefix", String(REJECTED_PREFIX), nullable=False),
)
# One row: how many callbacks were rejected in all. Updating it first serialises the writers, so every rejected
# callback gets its own number and slot.
rejected_callback_count = Table(
    "rejected_callback_count", metadata,
    Column("id", Integer, primary_key=True),
    Column("total", Integer, nullable=False),
)


def utc(moment: datetime) -> datetime:
    """A time this merchant wrote, in UTC with its offset: every row is written in UTC, and SQLite gives the time
    back without its zone (an RFC 3339 date-time needs the offset)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


# Every wait is bounded well inside Cryptopay's 10-second answer limit: a callback that cannot get the database in
# time answers non-2xx and is retried, instead of answering too late and being retried anyway.
DB_WAIT_SECONDS = 8  # under the 10-second answer limit, with room for a burst of duplicates on SQLite


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        # A busy timeout lets concurrent callbacks queue for SQLite's single writer instead of failing at once.
        engine = create_engine(url, connect_args={"timeout": DB_WAIT_SECONDS, "check_same_thread": False},
                               pool_size=20, max_overflow=60, pool_timeout=DB_WAIT_SECONDS)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()
        return engine
    connect_args = {}
    if url.startswith("postgresql"):
        wait_ms = DB_WAIT_SECONDS * 1000
        connect_args["options"] = f"-c lock_timeout={wait_ms} -c statement_timeout={wait_ms}"
    return create_engine(url, pool_size=20, max_overflow=60, pool_timeout=DB_WAIT_SECONDS, pool_pre_ping=True,
                         connect_args=connect_args)


def init_db(engine: Engine) -> None:
    metadata.create_all(engine)
    _ensure_rejected_counter(engine)
    # create_all never alters an existing table: refuse a database laid out by an older version, loudly.
    columns = {c["name"] for c in inspect(engine).get_columns("deposits")}
    if "custom_id" not in columns or "price_amount" not in columns:
        raise RuntimeError("the merchant database's deposits table has an older layout; use a fresh database")
    primary = inspect(engine).get_pk_constraint("deposits")["constrained_columns"]
    if primary != ["custom_id"]:
        raise RuntimeError("the merchant database's deposits table has an older layout (keyed by invoice_id); "
                           "use a fresh database")
    if "answered_status" not in {c["name"] for c in inspect(engine).get_columns("callback_log")}:
        raise RuntimeError("the merchant database's callback_log table has an older layout (no answered_status); "
                           "use a fresh database")


def _ensure_rejected_counter(engine: Engine) -> None:
    """The count's one row exists before any callback is rejected (two processes starting at once: one wins)."""
    with engine.connect() as conn:
        if conn.execute(select(rejected_callback_count.c.id)).first() is not None:
            return
    try:
        with engine.begin() as conn:
            conn.execute(insert(rejected_callback_count).values(id=1, total=0))
    except IntegrityError:
        pass  # the other process made it
