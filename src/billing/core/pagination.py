"""Pagination parameters: ``page`` plus ``per_page`` (aliases ``page_size`` and ``limit``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query

from billing.core.errors import Unprocessable

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 500
MAX_PAGE = 1_000_000
"""Beyond any real list (500 million rows at 500 a page) and far from the 64-bit OFFSET."""


@dataclass(frozen=True, slots=True)
class PageParams:
    """A validated page request."""

    page: int
    per_page: int


async def get_page_params(
    page: Annotated[
        int, Query(ge=1, le=MAX_PAGE, description="Page number, from 1 (max 1,000,000).")
    ] = 1,
    per_page: Annotated[
        int | None, Query(ge=1, le=MAX_PER_PAGE, description="Items per page (max 500).")
    ] = None,
    page_size: Annotated[
        int | None, Query(ge=1, le=MAX_PER_PAGE, description="Alias of per_page.")
    ] = None,
    limit: Annotated[
        int | None, Query(ge=1, le=MAX_PER_PAGE, description="Alias of per_page.")
    ] = None,
) -> PageParams:
    """Read the page parameters; the aliases must agree when several are given."""
    given = {value for value in (per_page, page_size, limit) if value is not None}
    if len(given) > 1:
        raise Unprocessable("per_page, page_size and limit disagree; send one of them.")
    return PageParams(page=page, per_page=given.pop() if given else DEFAULT_PER_PAGE)


Page = Annotated[PageParams, Depends(get_page_params)]
