"""Tables and engine. Amounts are stored as decimal strings so no database ever turns money into floats."""
from __future__ import annotations

from sqlalchemy import (Boolean, Column, DateTime, Integer, MetaData, String, Table, Text, UniqueConstraint,
                        create_engine, event)
from sqlalchemy.engine import Engine

metadata = MetaData()

deposits = Table(
    "deposits", metadata,
    Column("invoice_id", String(64), primary_key=True),
    Column("customer_id", String(128), nullable=False, index=True),
    Column("custom_id", String(128), nullable=False, unique=True),
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

callback_log = Table(
    "callback_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("invoice_id", String(64), index=True),
    Column("event", String(64)),
    Column("signature_valid", Boolean, nullable=False),
    Column("outcome", String(200), nullable=False),
    Column("raw_body", Text, nullable=False),
)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        # A long busy timeout lets many concurrent callbacks queue for SQLite's single writer instead of failing.
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()
        return engine
    return create_engine(url, pool_size=20, max_overflow=40, pool_pre_ping=True)


def init_db(engine: Engine) -> None:
    metadata.create_all(engine)
