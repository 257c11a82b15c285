"""Dependencies of payment routes: the provider factory, the public base URL, path lookups."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from billing.config import Settings
from billing.core.session import Session
from billing.payments.callback_urls import CallbackUrls
from billing.providers.registry import ProviderFactory
from billing.settings.service import settings as settings_service


async def get_providers(request: Request) -> ProviderFactory:
    """Provider plugins built on the app's shared HTTP client."""
    factory = request.app.state.providers
    assert isinstance(factory, ProviderFactory)
    return factory


async def public_base_url(session: AsyncSession, settings: Settings) -> str:
    """Where providers and payers reach us: the operator's public URL, else the deployment's."""
    current = await settings_service.get(session)
    base = current.public_base_url or settings.public_base_url
    return str(base).rstrip("/")


async def get_callback_urls(request: Request, session: Session) -> CallbackUrls:
    """The callback URLs (with their secret tokens) of this deployment."""
    settings: Settings = request.app.state.settings
    return CallbackUrls(await public_base_url(session, settings), settings)


Providers = Annotated[ProviderFactory, Depends(get_providers)]
Callbacks = Annotated[CallbackUrls, Depends(get_callback_urls)]
