"""The reference merchant: a small, correct Cryptopay integration with a real database and the certification probe."""
from reference_merchant.app import MerchantConfig, create_app

__all__ = ["MerchantConfig", "create_app"]
