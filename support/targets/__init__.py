"""What a run talks to: settings validated at once, the emulator and merchant started or configured, the preflight."""
