"""Errors of usage metering."""

from __future__ import annotations

from billing.core.errors import BadRequest, Conflict, NotFound, Unprocessable


class MetricNotFound(NotFound):
    """No billable metric has this id."""

    code = "billable_metric_not_found"
    message = "Billable metric not found."


class UnknownMetric(BadRequest):
    """A price names a billable metric that does not exist."""

    code = "billable_metric_not_found"
    message = "The billable metric named in the request does not exist."


class MetricCodeTaken(Conflict):
    """Another metric already has this code."""

    code = "billable_metric_code_taken"
    message = "Another billable metric already has this code."


class MetricInvalid(Unprocessable):
    """The metric's definition does not fit together."""

    code = "billable_metric_invalid"
    message = "The billable metric is invalid."


class MetricFrozen(Conflict):
    """What a metric counts cannot change once it exists (its events were counted by it)."""

    code = "billable_metric_frozen"
    message = (
        "aggregation, property and filters of a metric cannot change; create a new metric "
        "and deactivate this one."
    )


class UsageEventsInvalid(Unprocessable):
    """Some events of a request cannot be recorded; none was (``details`` names each)."""

    code = "usage_events_invalid"
    message = "Some usage events are invalid; none was recorded."


class UsageTenantNotFound(NotFound):
    """The tenant the events are for is not visible to the caller."""

    code = "tenant_not_found"
    message = "Tenant not found."


class UsageTenantMissing(Unprocessable):
    """Operator staff must say which tenant the events are for."""

    code = "usage_tenant_missing"
    message = "tenant_id is required when operator staff report usage."


class UsageTooLarge(Unprocessable):
    """The usage of a metric in a window is more than one invoice line can bill."""

    code = "usage_too_large"
    message = "The usage of a metric is more than an invoice can bill."
