"""The virtual users' HTTP client against a small server of its own on 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp import web

from motcua.drill import http


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def run(work: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(work())


def test_cookies_of_127_0_0_1_come_back_and_redirects_are_not_followed() -> None:
    async def set_cookie(request: web.Request) -> web.Response:
        response = web.Response(status=302, headers={"Location": "/elsewhere"})
        response.set_cookie("csrftoken", "abc123")
        return response

    async def echo(request: web.Request) -> web.Response:
        form = await request.post()
        return web.json_response(
            {
                "cookie": request.cookies.get("csrftoken"),
                "flag": request.query.get("flag"),
                "field": form.get("field"),
            }
        )

    app = web.Application()
    app.router.add_get("/set", set_cookie)
    app.router.add_post("/echo", echo)

    async def work() -> None:
        async with serving(app) as url, http.Client(url, timeout=5) as client:
            moved = await client.get("/set")
            assert moved.status_code == 302
            assert moved.headers["location"] == "/elsewhere"
            assert client.cookie("csrftoken") == "abc123"
            answer = await client.request(
                "POST", "/echo", params={"flag": True}, data={"field": "giá trị"}
            )
            assert answer.json() == {"cookie": "abc123", "flag": "true", "field": "giá trị"}

    run(work)


def test_a_closed_port_is_a_connect_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound, never listening: connections are refused

        async def work() -> None:
            async with http.Client(f"http://127.0.0.1:{port}", timeout=5) as client:
                with pytest.raises(http.ConnectError):
                    await client.get("/api/centers")

        run(work)


def test_a_slow_answer_is_a_read_timeout_and_a_dropped_connection_is_disconnected() -> None:
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.Response(text="late")

    async def drop(request: web.Request) -> web.Response:
        assert request.transport is not None
        request.transport.close()
        await asyncio.sleep(0.1)
        return web.Response(text="never sent")

    app = web.Application()
    app.router.add_get("/slow", slow)
    app.router.add_get("/drop", drop)

    async def work() -> None:
        async with serving(app) as url, http.Client(url, timeout=5) as client:
            with pytest.raises(http.ReadTimeout):
                await client.get("/slow", timeout=0.3)
            with pytest.raises(http.Disconnected):
                await client.get("/drop")
            bad = await client.get("/missing")
            assert bad.status_code == 404
            with pytest.raises(http.StatusError):
                bad.raise_for_status()

    run(work)
