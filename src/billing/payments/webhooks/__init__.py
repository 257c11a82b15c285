"""Provider deliveries: authenticated, stored once in the inbox, settled by a job."""
