"""The operator's reports (``/api/v1/admin/reports``): revenue by month, receivables ageing,
MRR with its movements, payments by method and provider. JSON, or CSV when asked."""
