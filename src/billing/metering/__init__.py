"""Usage metering: billable metrics, usage events, their aggregation and the pricing of usage."""
