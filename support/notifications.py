"""Kept only for steps/customers.py, which is being moved by another change: the reader is support/callbacks.py."""
from support.callbacks import wait_until_settled  # noqa: F401
