"""The test side, by kind: plugins (pytest wiring), targets (settings, servers, preflight), drivers (how to talk to
Cryptopay, the merchant and the emulator), domain (what the steps do) and evidence (what a reviewer reads)."""
