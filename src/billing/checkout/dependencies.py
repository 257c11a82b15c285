"""Dependencies of checkout routes: the provider factory and the public base URL."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from billing.core.session import Session
from billing.providers.registry import ProviderFactory
from billing.settings.service import settings as settings_service


async def get_providers(request: Request) -> ProviderFactory:
    """Provider plugins built on the app's shared HTTP client."""
    factory = request.app.state.providers
    assert isinstance(factory, ProviderFactory)
    return factory


async def get_base_url(request: Request, session: Session) -> str:
    """Where providers reach us: the operator's public URL, else the deployment's."""
    current = await settings_service.get(session)
    base = current.public_base_url or request.app.state.settings.public_base_url
    return str(base).rstrip("/")


Providers = Annotated[ProviderFactory, Depends(get_providers)]
BaseUrl = Annotated[str, Depends(get_base_url)]
