"""The ``Session`` dependency: the request's transactional session."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession


def request_session(request: Request) -> AsyncSession:
    """The session opened by ``TransactionalRoute`` for this request.

    The dependencies every request resolves (the principal, the scope) call this instead of
    declaring ``Session``: FastAPI solves a dependency's declared dependencies again wherever
    it appears, and the principal appears in most routes' tree twice.
    """
    session = getattr(request.state, "session", None)
    if session is None:
        raise RuntimeError("route is not a TransactionalRoute: no request session")
    assert isinstance(session, AsyncSession)
    return session


async def get_session(request: Request) -> AsyncSession:
    """The session opened by ``TransactionalRoute`` for this request."""
    return request_session(request)


Session = Annotated[AsyncSession, Depends(get_session)]
