"""Read-only views over the ledger: the tenant's billing overview, reseller commission and the
operator's reports. Nothing here writes; every figure is an aggregate computed by PostgreSQL."""
