"""The operator's webhook endpoints: create (secret shown once), change, rotate the secret
with a grace period, disable and enable, delete."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from billing.config import Settings
from billing.core.clock import wall_now
from billing.core.pagination import PageOf, PageParams
from billing.delivery.errors import WebhookEndpointNotFound, WebhookUrlNotAllowed
from billing.delivery.schemas import (
    WebhookEndpointCreate,
    WebhookEndpointRead,
    WebhookEndpointSecret,
    WebhookEndpointUpdate,
)
from billing.delivery.secrets import new_secret, seal
from billing.delivery.urls import internal_host_problem
from billing.models.delivery import WebhookEndpoint
from billing.outbox.events import forget_endpoints
from billing.outbox.repository import WebhookEndpointRepository


def check_reachable(settings: Settings, url: str) -> None:
    """In production, refuse a URL that points inside the service's network (SSRF): a
    webhook would make the service itself call it. Development and tests post to local
    receivers."""
    if settings.environment != "production":
        return
    problem = internal_host_problem(url)
    if problem is not None:
        raise WebhookUrlNotAllowed(
            f"url {problem}; in production an endpoint must be reachable on the public internet."
        )


def with_secret(endpoint: WebhookEndpoint, secret: str) -> WebhookEndpointSecret:
    """The endpoint and its new secret (the only time the secret leaves the service)."""
    return WebhookEndpointSecret(
        **WebhookEndpointRead.model_validate(endpoint).model_dump(), secret=secret
    )


class WebhookEndpointService:
    """Managing endpoints; every change is seen by events emitted later in the transaction."""

    async def create(
        self, session: AsyncSession, *, settings: Settings, body: WebhookEndpointCreate
    ) -> WebhookEndpointSecret:
        """A new endpoint with a fresh secret."""
        check_reachable(settings, body.url)
        secret = new_secret()
        endpoint = WebhookEndpoint(
            id=uuid.uuid4(),
            url=body.url,
            description=body.description,
            event_types=[event_type.value for event_type in body.event_types],
            enabled=body.enabled,
            secret_encrypted=seal(settings, secret),
        )
        await WebhookEndpointRepository(session).create(endpoint)
        forget_endpoints(session)
        return with_secret(endpoint, secret)

    async def get(
        self, session: AsyncSession, *, endpoint_id: uuid.UUID, for_update: bool = False
    ) -> WebhookEndpoint:
        """An endpoint, or ``WebhookEndpointNotFound``."""
        endpoint = await WebhookEndpointRepository(session).get(endpoint_id, for_update=for_update)
        if endpoint is None:
            raise WebhookEndpointNotFound
        return endpoint

    async def list(
        self, session: AsyncSession, *, enabled: bool | None, page: PageParams
    ) -> PageOf[WebhookEndpoint]:
        """A page of endpoints, newest first."""
        return await WebhookEndpointRepository(session).list_page(enabled=enabled, page=page)

    async def update(
        self,
        session: AsyncSession,
        *,
        settings: Settings,
        endpoint_id: uuid.UUID,
        body: WebhookEndpointUpdate,
    ) -> WebhookEndpoint:
        """Apply the fields sent (null leaves url, event types and enabled as they are)."""
        endpoint = await self.get(session, endpoint_id=endpoint_id, for_update=True)
        changes = body.model_dump(exclude_unset=True)
        if changes.get("url") is not None:
            check_reachable(settings, changes["url"])
            endpoint.url = changes["url"]
        if "description" in changes:
            endpoint.description = changes["description"]
        if changes.get("event_types") is not None:
            endpoint.event_types = [str(value) for value in changes["event_types"]]
        if changes.get("enabled") is not None:
            endpoint.enabled = bool(changes["enabled"])
        await WebhookEndpointRepository(session).flush()
        forget_endpoints(session)
        return endpoint

    async def set_enabled(
        self, session: AsyncSession, *, endpoint_id: uuid.UUID, enabled: bool
    ) -> WebhookEndpoint:
        """Disable (no new deliveries; queued ones fail until re-sent) or enable."""
        endpoint = await self.get(session, endpoint_id=endpoint_id, for_update=True)
        endpoint.enabled = enabled
        await WebhookEndpointRepository(session).flush()
        forget_endpoints(session)
        return endpoint

    async def rotate(
        self,
        session: AsyncSession,
        *,
        settings: Settings,
        endpoint_id: uuid.UUID,
        grace_period: timedelta,
    ) -> WebhookEndpointSecret:
        """A new secret; the current one keeps signing beside it for ``grace_period``."""
        endpoint = await self.get(session, endpoint_id=endpoint_id, for_update=True)
        secret = new_secret()
        if grace_period > timedelta(0):
            endpoint.previous_secret_encrypted = endpoint.secret_encrypted
            endpoint.previous_secret_expires_at = wall_now() + grace_period
        else:
            endpoint.previous_secret_encrypted = None
            endpoint.previous_secret_expires_at = None
        endpoint.secret_encrypted = seal(settings, secret)
        await WebhookEndpointRepository(session).flush()
        return with_secret(endpoint, secret)

    async def delete(self, session: AsyncSession, *, endpoint_id: uuid.UUID) -> None:
        """Delete the endpoint; its deliveries stay (without it) and are not sent again."""
        endpoint = await self.get(session, endpoint_id=endpoint_id, for_update=True)
        await WebhookEndpointRepository(session).delete(endpoint)
        await WebhookEndpointRepository(session).flush()
        forget_endpoints(session)


webhook_endpoint = WebhookEndpointService()
