"""A local, stateful emulator of Cryptopay's business sandbox: signed API, invoice states, callbacks, a controllable clock."""
from cryptopay_emulator.app import EmulatorApp, EmulatorConfig, create_app

__all__ = ["EmulatorApp", "EmulatorConfig", "create_app"]
