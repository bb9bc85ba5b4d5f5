"""Page-numbered lists of the API, with a bound on the page number.

Without one, a page number of twenty digits asks the database for an offset it cannot hold
(SQLite's integers are 64-bit) and the request fails with a server error instead of a 422
naming the field.
"""

from __future__ import annotations

from ninja import Field, Schema
from ninja.pagination import PageNumberPagination

MAX_PAGE = 1_000_000


class Pages(PageNumberPagination):
    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE)
        page_size: int | None = Field(None, ge=1, le=1000)
