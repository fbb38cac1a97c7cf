"""The test side: settings, servers on port 0, drivers for Cryptopay and the merchant, waiting and evidence."""
