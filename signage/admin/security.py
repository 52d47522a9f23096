"""HTTP-level guards: request size limits and security headers (one ASGI middleware).

Every request body is bounded: uploads by ``admin.max_upload_bytes``, everything else by
``admin.max_form_bytes``. A declared ``Content-Length`` over the limit is answered 413
before a byte of the body is read; a body that grows past it while streaming (chunked,
or a lying length) is stopped where it crosses the limit.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from starlette.exceptions import HTTPException

__all__ = ["BodyTooLarge", "Guard", "is_upload_path"]

_UPLOAD_PATHS = (
    re.compile(r"^/upload$"),
    re.compile(r"^/api/versions$"),
    re.compile(r"^/drafts/[^/]+/files$"),
    re.compile(r"^/api/drafts/[^/]+/files/[^/]+$"),
)

# A refused body is read and dropped up to this much so the client can read the answer;
# past it the connection is simply closed.
DRAIN_MAX = 64 * 1024 * 1024

HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy",
     b"default-src 'none'; img-src 'self'; style-src 'self'; script-src 'self'; form-action 'self'; "
     b"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"),
    (b"cache-control", b"no-store"),
]


def is_upload_path(method: str, path: str) -> bool:
    return method in ("POST", "PUT") and any(p.match(path) for p in _UPLOAD_PATHS)


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(status_code=413, detail=too_large_message(limit))


def too_large_message(limit: int) -> str:
    size = f"{limit / 1e6:.1f} MB" if limit >= 100_000 else f"{limit} bytes"
    return f"the request is larger than the {size} allowed"


class Guard:
    """Body-size limits and security headers around the whole app."""

    def __init__(self, app, upload_limit: int, form_limit: int,
                 is_upload: Callable[[str, str], bool] = is_upload_path) -> None:
        self.app = app
        self.upload_limit = upload_limit
        self.form_limit = form_limit
        self.is_upload = is_upload

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.upload_limit if self.is_upload(scope["method"], scope["path"]) else self.form_limit
        declared = None
        for k, v in scope.get("headers", []):
            if k == b"content-length":
                declared = v
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await self._drain(receive)
            return await self._refuse(scope, send, limit)

        received = 0
        started = False

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def guarded_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.lower() not in {h for h, _ in HEADERS}]
                message = {**message, "headers": headers + HEADERS}
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except BodyTooLarge:
            if not started:
                await self._drain(receive)
                await self._refuse(scope, send, limit)

    @staticmethod
    async def _drain(receive) -> None:
        """Read (and drop) what the client is still sending, up to DRAIN_MAX, so that it
        gets the 413 answer rather than a reset connection; nothing of it is kept."""
        drained = 0
        while drained < DRAIN_MAX:
            message = await receive()
            if message["type"] != "http.request":
                return
            drained += len(message.get("body", b""))
            if not message.get("more_body", False):
                return

    async def _refuse(self, scope, send, limit: int) -> None:
        msg = too_large_message(limit)
        if scope["path"].startswith("/api/"):
            body = json.dumps({"detail": msg}).encode()
            ctype = b"application/json"
        else:
            body = (f"<!doctype html><title>Upload refused</title><h1>Upload refused</h1><p>{msg}. "
                    f"Nothing was changed.</p><p><a href=\"/upload\">Back</a></p>").encode()
            ctype = b"text/html; charset=utf-8"
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", ctype), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")] + HEADERS})
        await send({"type": "http.response.body", "body": body})
