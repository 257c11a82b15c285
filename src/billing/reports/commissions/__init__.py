"""Reseller commission (seed 003): what each reseller earned, per month and currency."""
