"""The ``Session`` dependency: the request's transactional session."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession


async def get_session(request: Request) -> AsyncSession:
    """The session opened by ``TransactionalRoute`` for this request."""
    session = getattr(request.state, "session", None)
    if session is None:
        raise RuntimeError("route is not a TransactionalRoute: no request session")
    assert isinstance(session, AsyncSession)
    return session


Session = Annotated[AsyncSession, Depends(get_session)]
