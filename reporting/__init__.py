"""The go-live evidence pipeline: Allure 3 report made offline, the 14-item summary, and a secret scan."""
