"""Tests of the suite's own support code: settings, payers, the resend path."""
