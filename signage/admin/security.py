"""HTTP-level guards: who may send a body, how large, how many at once, how slowly; and
the security headers (one ASGI middleware, ``Guard``).

Nothing of a body is read before the sender is known (``gate.py``). Every body is bounded:
uploads by ``admin.max_upload_bytes``, everything else by ``admin.max_form_bytes``. A
declared ``Content-Length`` over the limit is answered 413 before a byte of the body is
read; a body that grows past it while streaming (chunked, or a lying length) is stopped
where it crosses the limit. At most ``admin.max_concurrent_uploads`` uploads run at once;
bodies that arrive too slowly are cut (``limits.py``).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from starlette.exceptions import HTTPException

from signage.admin.gate import Refusal, Slots, admitted, refusal
from signage.admin.limits import BodyClock, BodyTimedOut

__all__ = ["BodyTooLarge", "Guard", "guard_options", "is_upload_path"]

_UPLOAD_PATHS = (
    re.compile(r"^/upload$"),
    re.compile(r"^/api/versions$"),
    re.compile(r"^/drafts/[^/]+/files$"),
    re.compile(r"^/api/drafts/[^/]+/files/[^/]+$"),
)

# Before a refusal is sent, what the client is still sending is read and dropped (never kept) up to
# this much, so that it gets the answer rather than a reset connection; then it is closed.
LINGER_MAX = 8 * 1024 * 1024
LINGER_IDLE_S = 2.0

HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy",
     b"default-src 'none'; img-src 'self'; style-src 'self'; script-src 'self'; form-action 'self'; "
     b"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"),
    (b"cache-control", b"no-store"),
]


def guard_options(admin) -> dict:
    """``Guard`` keyword arguments from an ``AdminConfig``."""
    return {"upload_limit": admin.max_upload_bytes, "form_limit": admin.max_form_bytes,
            "max_uploads": admin.max_concurrent_uploads, "body_idle_s": admin.body_idle_timeout_s,
            "min_body_rate": admin.min_body_rate_bytes_s}


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
    """The budget of every request, and security headers, around the whole app.

    In order, before a byte of the body is read: who is asking (``gate.admitted``: 401,
    a redirect to the login form, or 429), a declared length over the limit (413), an
    upload past ``max_concurrent_uploads`` (503 with ``Retry-After``). Then the body is
    counted as it streams (413 where it crosses the limit) and timed (``limits.BodyClock``:
    408). A refusal answers with ``Connection: close`` and never reads the body."""

    def __init__(self, app, upload_limit: int, form_limit: int,
                 is_upload: Callable[[str, str], bool] = is_upload_path, *, max_uploads: int = 2,
                 body_idle_s: float = 30.0, min_body_rate: float = 10_000.0) -> None:
        self.app = app
        self.upload_limit = upload_limit
        self.form_limit = form_limit
        self.is_upload = is_upload
        self.slots = Slots(max_uploads)
        self.body_idle_s = body_idle_s
        self.min_body_rate = min_body_rate

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        refused = await admitted(scope)
        if refused is not None:
            return await self._answer(scope, send, refused, receive)
        upload = self.is_upload(scope["method"], scope["path"])
        limit = self.upload_limit if upload else self.form_limit
        declared = None
        for k, v in scope.get("headers", []):
            if k == b"content-length":
                declared = v
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            return await self._answer(scope, send, self._audited(scope, refusal(413, too_large_message(limit))), receive)
        if upload and not self.slots.take():
            return await self._answer(scope, send, self._audited(scope, self.slots.refusal()), receive)
        try:
            await self._run(scope, receive, send, limit)
        finally:
            if upload:
                self.slots.give()

    async def _run(self, scope, receive, send, limit: int) -> None:
        received = 0
        started = False
        clock = BodyClock(receive, self.body_idle_s, self.min_body_rate)

        async def limited_receive():
            nonlocal received
            message = await clock()
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
                if clock.timed_out or received > limit:
                    headers = [(k, v) for k, v in headers if k.lower() != b"connection"] + [(b"connection", b"close")]
                message = {**message, "headers": headers + HEADERS}
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except BodyTooLarge:
            if not started:
                await self._answer(scope, send, self._audited(scope, refusal(413, too_large_message(limit))), receive)
        except BodyTimedOut as exc:
            if not started:
                await self._answer(scope, send, self._audited(scope, refusal(408, str(exc.detail))))

    async def _linger(self, receive) -> None:
        """Before a refusal, read and drop what the client is still sending, up to LINGER_MAX
        and only while it keeps coming (the body timeouts), so that it reads the answer rather
        than a reset connection (a close with unread data resets it). Nothing is kept: each
        chunk is dropped as it comes, the temp folder and the app never see it."""
        clock = BodyClock(receive, min(self.body_idle_s, LINGER_IDLE_S), self.min_body_rate)
        drained = 0
        try:
            while drained < LINGER_MAX:
                message = await clock()
                if message["type"] != "http.request" or not message.get("more_body", False):
                    return
                drained += len(message.get("body", b""))
        except BodyTimedOut:
            return

    @staticmethod
    def _audited(scope, r: Refusal) -> Refusal:
        """``r``, written to the audit log (a request past its budget: too large, too many
        uploads at once, too slow). The gate's own refusals are logged by the gate."""
        app = scope.get("app")
        svc = getattr(getattr(app, "state", None), "service", None)
        if svc is not None:
            svc.audit.record("request.refused", outcome=str(r.status),
                             detail=f"{scope['method']} {scope['path']}: {r.detail}")
        return r

    async def _answer(self, scope, send, r: Refusal, receive=None) -> None:
        """Send a refusal instead of the route, the body unread; the connection is then closed."""
        if receive is not None:
            await self._linger(receive)
        ctype, body = r.body(scope["path"].startswith("/api/"))
        await send({"type": "http.response.start", "status": r.status,
                    "headers": [(b"content-type", ctype), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close"), *r.headers] + HEADERS})
        await send({"type": "http.response.body", "body": body})
