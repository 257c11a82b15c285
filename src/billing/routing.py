"""The route class every API router uses: one transaction per request, committed before the
response is sent, with the ``Idempotency-Key`` claimed inside that same transaction.

FastAPI's dependency exits run around serialization, so we take the session boundary into the
route handler itself: the serialized response is in hand when we commit, which lets us store it
as the idempotent replay atomically with the effect it describes.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, ClassVar

from fastapi import Request, Response
from fastapi.params import Depends as DependsParam
from fastapi.routing import APIRoute

from billing.auth.dependencies import claim_idempotency_key
from billing.core.idempotency import IdempotentReplay, store_response


class TransactionalRoute(APIRoute):
    """An ``APIRoute`` whose handler runs inside one database transaction.

    * the session lives in ``request.state.session`` (``billing.core.session.Session`` reads it);
    * success: the idempotency record (if any) is completed, then COMMIT, then the response;
    * any exception: ROLLBACK and re-raise for the error handlers, so nothing is half-written;
    * POST routes claim the ``Idempotency-Key`` header before the endpoint runs.
    """

    claims_idempotency: ClassVar[bool] = True

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        methods = {method.upper() for method in kwargs.get("methods") or ()}
        if "POST" in methods and self.claims_idempotency:
            dependencies: list[DependsParam] = list(kwargs.get("dependencies") or [])
            dependencies.append(DependsParam(claim_idempotency_key))
            kwargs["dependencies"] = dependencies
        super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Wrap FastAPI's handler in the transaction."""
        handler = super().get_route_handler()

        async def transactional_handler(request: Request) -> Response:
            database = request.app.state.database
            async with database.sessionmaker() as session:
                request.state.session = session
                try:
                    response = await handler(request)
                except IdempotentReplay as replay:
                    await session.rollback()
                    return replay.response
                except BaseException:
                    await session.rollback()
                    raise
                claim = getattr(request.state, "idempotency_claim", None)
                if claim is not None:
                    await store_response(session, claim, response)
                await session.commit()
                return response

        return transactional_handler


class WebhookRoute(TransactionalRoute):
    """A transactional route for provider deliveries: they dedupe by their own ids (the
    inbox), not by ``Idempotency-Key``."""

    claims_idempotency = False
