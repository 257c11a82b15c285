"""The route class of usage reports: JSON numbers are read as decimals, never floats.

Starlette parses a body with ``json.loads``, which turns ``12345678901234.123456`` into the
nearest float (``12345678901234.123``): a quantity billed would not be the quantity reported.
This route reads numbers with ``parse_float=Decimal`` and refuses ``NaN`` and ``Infinity``
(not JSON), so what Pydantic validates is exactly what was sent.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from decimal import Decimal
from typing import Any

from fastapi import Request, Response

from billing.routing import TransactionalRoute


def _refuse_constant(name: str) -> Any:
    raise json.JSONDecodeError(f"{name} is not a JSON number", name, 0)


class ExactJsonRequest(Request):
    """A request whose JSON body keeps decimal numbers exact."""

    async def json(self) -> Any:
        """The body parsed with decimals (cached like Starlette's)."""
        if not hasattr(self, "_json"):
            self._json = json.loads(
                await self.body(), parse_float=Decimal, parse_constant=_refuse_constant
            )
        return self._json


class ExactJsonRoute(TransactionalRoute):
    """A transactional route whose request body is parsed with ``ExactJsonRequest``."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Hand the transactional handler an ``ExactJsonRequest``."""
        handler = super().get_route_handler()

        async def exact_handler(request: Request) -> Response:
            return await handler(ExactJsonRequest(request.scope, request.receive))

        return exact_handler
