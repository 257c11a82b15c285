"""What sending needs: transactions, the shared HTTP client, the settings, a render pool."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from billing.config import Settings
from billing.delivery.transport import AttemptResult
from billing.documents.render_pool import RenderPool

Transaction = Callable[[], AbstractAsyncContextManager[AsyncSession]]
Send = Callable[[], Awaitable[AttemptResult]]
"""A message built and ready: calling it makes one attempt over the network."""


@dataclass(slots=True)
class DeliveryContext:
    """Opens one committed-on-success transaction per call; sends with ``http``."""

    transaction: Transaction
    http: httpx.AsyncClient
    settings: Settings
    render_pool: RenderPool = field(default_factory=lambda: RenderPool(0))
