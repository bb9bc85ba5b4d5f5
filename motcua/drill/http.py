"""The HTTP client of the drill's virtual users and of the benchmark's load generator.

Thousands of virtual citizens and officers share one process, on the same cores as the server
they measure, so the client must cost little per request: aiohttp spends about a tenth of a
millisecond of CPU per request where the previous client spent 0.8 ms at 8 connections and
2.7 ms at 32 (measured on the 2-core reference machine). This module gives the callers a small
surface of their own: an answer read whole (``Response``), no redirects followed (the drill
reads each ``Location`` itself, as a browser's steps), cookies kept for 127.0.0.1, and failures
as a few ``TransportError`` kinds whose names the drill's report shows.
"""

from __future__ import annotations

import json as jsonlib
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import aiohttp
from multidict import CIMultiDictProxy


class TransportError(Exception):
    """No answer came: the connection could not be made, broke, or the answer was too slow."""


class ConnectError(TransportError):
    """The server could not be reached (refused, unreachable, or no connection in time)."""


class ReadTimeout(TransportError):
    """The server took the request but did not answer in time."""


class Disconnected(TransportError):
    """The connection closed before the answer: a kept-alive connection the server had
    dropped, or a server stopped mid-answer. A read is safe to repeat; a write is not."""


class StatusError(Exception):
    """An answer came, but with an error status where success was required."""


@dataclass(frozen=True)
class Response:
    """An answer read whole."""

    status_code: int
    headers: CIMultiDictProxy[str]
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return jsonlib.loads(self.content)

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise StatusError(f"HTTP {self.status_code}: {self.text[:200]}")


class Client:
    """A pool of at most ``connections`` kept-alive connections to ``base_url``.

    Waiting for a free connection is a queue, not a failure: ``timeout`` bounds connecting and
    each wait for the server's bytes, not the time spent queueing for a connection.
    """

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 60.0,
        connections: int = 100,
        keepalive_seconds: float = 10.0,
    ) -> None:
        self.base_url = base_url
        self._timeout = aiohttp.ClientTimeout(total=None, sock_connect=timeout, sock_read=timeout)
        self._connections = connections
        self._keepalive = keepalive_seconds
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Client:
        connector = aiohttp.TCPConnector(limit=self._connections, keepalive_timeout=self._keepalive)
        self._session = aiohttp.ClientSession(
            base_url=self.base_url,
            connector=connector,
            timeout=self._timeout,
            # 127.0.0.1 is an address, not a domain name: aiohttp keeps its cookies only when
            # told to; the portal's CSRF cookie must come back with the payer's form.
            cookie_jar=aiohttp.CookieJar(unsafe=True),
            auto_decompress=True,
        )
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("use the client inside `async with`")
        return self._session

    def cookie(self, name: str, default: str = "") -> str:
        """The value of cookie ``name`` last set by any server of 127.0.0.1."""
        for cookie in self.session.cookie_jar:
            if cookie.key == name:
                return cookie.value
        return default

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
        json: Any = None,
        data: dict[str, str] | None = None,
        content: str | bytes | None = None,
        timeout: float | None = None,
    ) -> Response:
        """Send one request and read its answer whole; ``timeout`` overrides the client's."""
        body: Any = content if content is not None else data
        query = {k: _query_value(v) for k, v in params.items()} if params else None
        own_timeout: dict[str, Any] = {}
        if timeout is not None:
            own_timeout["timeout"] = aiohttp.ClientTimeout(
                total=None, sock_connect=timeout, sock_read=timeout
            )
        try:
            async with self.session.request(
                method,
                url,
                headers=headers,
                params=query,
                json=json,
                data=body,
                allow_redirects=False,
                **own_timeout,
            ) as answer:
                payload = await answer.read()
                return Response(answer.status, answer.headers, payload)
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError) as error:
            raise Disconnected(str(error) or type(error).__name__) from error
        except aiohttp.ConnectionTimeoutError as error:
            raise ConnectError(f"no connection within the timeout: {error}") from error
        except TimeoutError as error:  # the socket's read timeout (aiohttp's is one too)
            raise ReadTimeout(str(error) or "no answer within the timeout") from error
        except aiohttp.ClientConnectorError as error:
            raise ConnectError(str(error)) from error
        except aiohttp.ClientOSError as error:  # reset by the peer on a kept-alive connection
            raise Disconnected(str(error)) from error
        except aiohttp.ClientError as error:
            raise TransportError(f"{type(error).__name__}: {error}") from error

    async def get(
        self,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
        timeout: float | None = None,
    ) -> Response:
        return await self.request("GET", url, headers=headers, params=params, timeout=timeout)

    async def post(
        self,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        json: Any = None,
        data: dict[str, str] | None = None,
        content: str | bytes | None = None,
    ) -> Response:
        return await self.request(
            "POST", url, headers=headers, json=json, data=data, content=content
        )

    async def put(
        self, url: str, *, headers: dict[str, str] | None = None, json: Any = None
    ) -> Response:
        return await self.request("PUT", url, headers=headers, json=json)


def _query_value(value: Any) -> str:
    """A query-string value as the server reads it (booleans as true/false)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
