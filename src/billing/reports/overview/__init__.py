"""The tenant's billing overview (seed 002): what it owes, what it holds, what comes next."""
