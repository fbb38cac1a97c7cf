"""What a reviewer reads of a scenario: its attachments, stories and diagrams, and why it failed (Why/Fix)."""
