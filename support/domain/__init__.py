"""What the steps do, by concept (deposits, channels, payouts, notifications, time): the helpers step modules call."""
