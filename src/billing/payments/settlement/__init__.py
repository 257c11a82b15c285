"""Settlement: the provider's confirmed word applied to an attempt, exactly once."""
