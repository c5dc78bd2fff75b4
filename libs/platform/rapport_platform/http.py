"""What every service's routes share: the list envelope and its query parameters.

Every list endpoint answers ``{"items": [...], "next_cursor": "..." | null}`` and takes
``limit`` and ``cursor`` query parameters::

    @router.get("/members")
    async def list_members(caller: Reader, limit: Limit = DEFAULT_LIMIT,
                           cursor: Cursor = None) -> ItemsPage[MemberOut]:
        page = await queries.members(caller, limit=limit, cursor=cursor)
        return ItemsPage.of(page, MemberOut.of)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field

from rapport_platform.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page

T = TypeVar("T")
U = TypeVar("U")

__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT", "Cursor", "ItemsPage", "Limit"]

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Page size, 1 to {MAX_LIMIT}.")]
Cursor = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=512,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="`next_cursor` of the previous page; absent for the first page.",
    ),
]


class ItemsPage(BaseModel, Generic[T]):
    """One page of a list, and the cursor of the next."""

    items: list[T]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )

    @classmethod
    def of(cls, page: Page[U], convert: Callable[[U], T]) -> ItemsPage[T]:
        return cls(items=[convert(item) for item in page.items], next_cursor=page.next_cursor)
