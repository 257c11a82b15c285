"""The ``AppSettings`` dependency: the settings the running application was built with."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from billing.config import Settings


async def get_app_settings(request: Request) -> Settings:
    """``app.state.settings``: read on the event loop (a plain function would be sent to the
    thread pool on every request), and the application's own, not the environment's."""
    settings: Settings = request.app.state.settings
    return settings


AppSettings = Annotated[Settings, Depends(get_app_settings)]
