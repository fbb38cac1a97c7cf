"""How the suite talks to Cryptopay, the merchant, the emulator's control API and the payers, and how it waits."""
