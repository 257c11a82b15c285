"""Pagination parameters: ``page`` plus ``per_page`` (aliases ``page_size`` and ``limit``), or a
``cursor`` from the previous page; ``include_total`` asks for the count of the whole list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query

from billing.core.errors import Unprocessable

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 500
MAX_CURSOR_LENGTH = 512
MAX_PAGE = 1_000_000
"""Beyond any real list (500 million rows at 500 a page) and far from the 64-bit OFFSET."""


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PageOf(Generic[T]):
    """One page of a list: its items, the count of the list if asked, what comes next."""

    items: Sequence[T]
    total: int | None
    has_next: bool
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class PageParams:
    """A validated page request."""

    page: int
    per_page: int
    cursor: str | None = None
    include_total: bool = True

    @property
    def offset(self) -> int:
        """Rows before this page (0 when paging by cursor)."""
        return 0 if self.cursor is not None else (self.page - 1) * self.per_page


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
    cursor: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=MAX_CURSOR_LENGTH,
            description=(
                "Continue after the last item of a page: its `pagination.next_cursor`. The same "
                "cost on every page, however deep (page numbers read and skip the rows before)."
            ),
        ),
    ] = None,
    include_total: Annotated[
        bool | None,
        Query(
            description=(
                "Count the whole list (`total`, `pages`). Default: true with page numbers, "
                "false with a cursor; on long lists the count costs more than the page."
            )
        ),
    ] = None,
) -> PageParams:
    """Read the page parameters; the aliases must agree when several are given."""
    given = {value for value in (per_page, page_size, limit) if value is not None}
    if len(given) > 1:
        raise Unprocessable("per_page, page_size and limit disagree; send one of them.")
    if cursor is not None and page != 1:
        raise Unprocessable("Send page or cursor, not both.")
    return PageParams(
        page=page,
        per_page=given.pop() if given else DEFAULT_PER_PAGE,
        cursor=cursor,
        include_total=include_total if include_total is not None else cursor is None,
    )


Page = Annotated[PageParams, Depends(get_page_params)]
