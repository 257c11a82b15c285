"""Payment provider plugins: one documented contract, a closed registry, neutral data types."""
