"""Time limits on slow clients: headers and bodies that arrive too slowly are cut off.

uvicorn (0.54, h11) times out only the idle time *between* requests (``timeout_keep_alive``),
and that timer is reset by every byte received: a client that sends its headers one byte
at a time holds a connection for ever, and an ASGI middleware cannot help, as it runs only
once the headers are complete. So:

- ``header_deadline_protocol(base, seconds)`` wraps uvicorn's HTTP protocol class: from the
  moment a connection opens (or the first byte of the next request on a kept-alive
  connection) the request line and headers must be complete within ``header_timeout_s``,
  or the connection is closed. ``server_options(admin)`` gives the uvicorn ``Config``
  keyword arguments that install it (used by ``app.serve`` and the tests' server).
- ``BodyClock`` bounds the body, in the ASGI layer (``security.Guard``): each chunk must
  come within ``body_idle_timeout_s``, and the body as a whole at ``min_body_rate_bytes_s``
  at least (after a first ``body_idle_timeout_s`` of grace): a client that trickles a byte
  every few seconds is cut too. The answer is 408 with ``Connection: close``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.exceptions import HTTPException

__all__ = ["BodyClock", "BodyTimedOut", "header_deadline_protocol", "server_options", "HEADER_BYTES"]

# The request line and headers together (h11's own default is 16 KiB): a cookie and a token fit many times.
HEADER_BYTES = 16 * 1024


class BodyTimedOut(HTTPException):
    def __init__(self, why: str) -> None:
        super().__init__(status_code=408, detail=f"the request body arrived too slowly ({why}); nothing was changed",
                         headers={"Connection": "close"})


def header_deadline_protocol(base: type[asyncio.Protocol], seconds: float) -> type[asyncio.Protocol]:
    """A subclass of uvicorn's protocol ``base`` that closes a connection whose request
    headers are not complete ``seconds`` after the connection (or the request) began."""

    class HeaderDeadline(base):  # type: ignore[misc, valid-type]
        header_timeout_s = seconds
        _header_timer: asyncio.TimerHandle | None = None

        def _awaiting_headers(self) -> bool:
            cycle = getattr(self, "cycle", None)
            return cycle is None or cycle.response_complete

        def _sync_header_timer(self) -> None:
            if self._awaiting_headers():
                if self._header_timer is None:
                    self._header_timer = asyncio.get_running_loop().call_later(self.header_timeout_s, self._headers_late)
            elif self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _headers_late(self) -> None:
            self._header_timer = None
            if self._awaiting_headers() and not self.transport.is_closing():
                self.transport.close()

        def connection_made(self, transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._sync_header_timer()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if not self.transport.is_closing():
                self._sync_header_timer()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            # idle between requests is uvicorn's keep-alive timer's; ours starts with the next byte
            if self._header_timer is not None and self._awaiting_headers():
                self._header_timer.cancel()
                self._header_timer = None

        def connection_lost(self, exc: Exception | None) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None
            super().connection_lost(exc)

    HeaderDeadline.__name__ = HeaderDeadline.__qualname__ = f"HeaderDeadline{base.__name__}"
    return HeaderDeadline


def server_options(admin) -> dict[str, Any]:
    """uvicorn ``Config`` keyword arguments for the admin service's limits (an ``AdminConfig``)."""
    from uvicorn.protocols.http.auto import AutoHTTPProtocol

    return {
        "http": header_deadline_protocol(AutoHTTPProtocol, admin.header_timeout_s),
        "timeout_keep_alive": max(1, round(admin.header_timeout_s)),
        "h11_max_incomplete_event_size": HEADER_BYTES,
    }


class BodyClock:
    """Wraps an ASGI ``receive``: each body chunk within ``idle_s``, and the whole body at
    ``min_rate`` bytes/s at least (time allowed so far: ``idle_s + received / min_rate``).
    ``clock`` is injectable (monotonic seconds)."""

    def __init__(self, receive: Callable[[], Awaitable[dict]], idle_s: float, min_rate: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._receive = receive
        self.idle_s = idle_s
        self.min_rate = min_rate
        self.clock = clock
        self.start = clock()
        self.received = 0
        self.timed_out = False

    def allowed(self) -> float:
        """Seconds the next chunk may take: the idle limit, or less when the body is behind its rate."""
        behind = self.start + self.idle_s + self.received / self.min_rate - self.clock()
        return min(self.idle_s, behind)

    async def __call__(self) -> dict:
        wait = self.allowed()
        if wait <= 0:
            self.timed_out = True
            raise BodyTimedOut(f"less than {self.min_rate:g} bytes a second")
        try:
            message = await asyncio.wait_for(self._receive(), wait)
        except TimeoutError:
            self.timed_out = True
            why = (f"nothing for {self.idle_s:g} s" if wait >= self.idle_s
                   else f"less than {self.min_rate:g} bytes a second")
            raise BodyTimedOut(why) from None
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
        return message
