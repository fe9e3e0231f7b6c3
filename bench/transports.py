"""The client's two WebSocket libraries behind one interface: aiohttp (the default, a compiled frame
reader) and websockets (bench/README.md, "The client")."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any


class Closed(Exception):
    """The socket closed; `code` is the close code received, if any."""

    def __init__(self, code: int | None, reason: str = "") -> None:
        super().__init__(code, reason)
        self.code = code
        self.reason = reason


class AiohttpTransport:
    name = "aiohttp"

    def __init__(self, deflate: bool) -> None:
        import aiohttp

        self.aiohttp = aiohttp
        self.deflate = deflate
        self.session: Any = None

    async def start(self) -> None:
        aiohttp = self.aiohttp
        connector = aiohttp.TCPConnector(limit=0, force_close=False, enable_cleanup_closed=False)
        self.session = aiohttp.ClientSession(connector=connector)

    async def connect(self, url: str, origin: str, timeout: float) -> Any:
        aiohttp = self.aiohttp
        return await self.session.ws_connect(
            url,
            origin=origin,
            autoping=True,
            heartbeat=None,
            compress=15 if self.deflate else 0,
            max_msg_size=0,
            timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=5.0),
            proxy=None,
        )

    async def reader(self, ws: Any, on_text: Callable[[str], None], flowing: asyncio.Event) -> None:
        """Feed text frames to on_text until the socket closes; raise Closed. Pauses while not `flowing`."""
        text_type = self.aiohttp.WSMsgType.TEXT
        receive = ws.receive
        while True:
            if not flowing.is_set():
                await flowing.wait()
            msg = await receive()
            if msg.type is text_type:
                on_text(msg.data)
            elif msg.type in _AIOHTTP_END:
                raise Closed(ws.close_code, str(msg.extra or ""))

    async def send(self, ws: Any, text: str) -> None:
        await ws.send_str(text)

    async def close(self, ws: Any) -> None:
        await ws.close()

    async def stop(self) -> None:
        if self.session is not None:
            await self.session.close()


_AIOHTTP_END: frozenset = frozenset()


class WebsocketsTransport:
    name = "websockets"

    def __init__(self, deflate: bool) -> None:
        from websockets.asyncio.client import connect
        from websockets.exceptions import ConnectionClosed

        self._connect = connect
        self.ConnectionClosed = ConnectionClosed
        self.deflate = deflate

    async def start(self) -> None:
        pass

    async def connect(self, url: str, origin: str, timeout: float) -> Any:
        return await self._connect(
            url,
            origin=origin,
            compression="deflate" if self.deflate else None,
            max_size=None,
            ping_interval=None,
            open_timeout=timeout,
            close_timeout=5,
        )

    async def reader(self, ws: Any, on_text: Callable[[str], None], flowing: asyncio.Event) -> None:
        try:
            async for message in ws:
                if not flowing.is_set():
                    await flowing.wait()
                if isinstance(message, str):
                    on_text(message)
        except self.ConnectionClosed:
            pass
        raise Closed(ws.close_code, ws.close_reason or "")

    async def send(self, ws: Any, text: str) -> None:
        await ws.send(text)

    async def close(self, ws: Any) -> None:
        await ws.close()

    async def stop(self) -> None:
        pass


def make_transport(name: str, deflate: bool) -> AiohttpTransport | WebsocketsTransport:
    global _AIOHTTP_END
    if name == "aiohttp":
        import aiohttp

        _AIOHTTP_END = frozenset(
            {
                aiohttp.WSMsgType.CLOSE,
                aiohttp.WSMsgType.CLOSING,
                aiohttp.WSMsgType.CLOSED,
                aiohttp.WSMsgType.ERROR,
            }
        )
        return AiohttpTransport(deflate)
    if name == "websockets":
        return WebsocketsTransport(deflate)
    raise ValueError(f"unknown client library {name!r}")
