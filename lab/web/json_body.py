"""The request class both apps use: a JSON body nested too deeply to decode is a 400.

msgspec (Litestar's JSON decoder) raises `RecursionError`, not a decode error, for a body such
as 5,000 nested `[`: without this class that is a 500 and a logged traceback. Here it is a
`ClientException` (400, problem details) that says what is wrong and how to fix it.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import ClientException

__all__ = ["TOO_DEEP", "JsonRequest"]

TOO_DEEP = (
    "the JSON body is nested too deeply to decode: send a flat JSON object (the schema at "
    "/schema shows its fields)"
)


class JsonRequest(Request[Any, Any, Any]):
    """`Request` whose `json()` and `msgpack()` answer 400 instead of a RecursionError."""

    async def json(self) -> Any:
        try:
            return await super().json()
        except RecursionError:
            raise ClientException(status_code=400, detail=TOO_DEEP) from None

    async def msgpack(self) -> Any:
        try:
            return await super().msgpack()
        except RecursionError:
            raise ClientException(status_code=400, detail=TOO_DEEP) from None
