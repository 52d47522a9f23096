"""Who is asking, from the headers alone: checked before a byte of a request body is read.

``admitted(scope)`` answers, for every ``/api`` request and every other request that may
carry a body, either ``None`` (go on: a valid bearer token on ``/api``, a valid session
cookie on the pages, or the login form) or the refusal to send instead: 401 for the API, a
redirect to the login form for the pages, 429 when the client address is locked out. It
uses the routes' own checks (``api.api_user`` and ``pages.current_session``), so the gate
and the routes never disagree about who is logged in; the routes check again, as before.

Each refusal of the gate is one row of the audit log (``token.refused`` for a wrong bearer
token, ``request.refused`` otherwise): the route of a refused request never runs, so it is
never logged twice. ``admitted`` also sets ``audit.CLIENT``, the client address that the
events recorded while serving the request carry.

``Slots`` caps the uploads running at once: a request past the cap is answered 503
with ``Retry-After`` and nothing of it is read.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass

from fastapi import HTTPException
from fastapi.security import HTTPAuthorizationCredentials
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from signage.admin.audit import CLIENT

__all__ = ["Refusal", "Slots", "admitted", "refusal", "may_have_body", "is_api", "client_of", "OPEN_POSTS"]

# The one body read from someone not logged in: the login form (bounded by max_form_bytes).
OPEN_POSTS = frozenset({"/login"})
OPEN_API_GETS = frozenset({"/api/openapi.json"})  # the API's description: public
BODYLESS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class Refusal:
    """What to answer instead of the route: JSON ``{"detail": ...}`` on /api, a short page elsewhere."""
    status: int
    detail: str
    headers: tuple[tuple[bytes, bytes], ...] = ()

    def body(self, api: bool) -> tuple[bytes, bytes]:
        """(content type, body)."""
        if api:
            return b"application/json", json.dumps({"detail": self.detail}).encode()
        if not self.detail:
            return b"text/plain; charset=utf-8", b""
        text = html.escape(self.detail)
        return (b"text/html; charset=utf-8",
                f"<!doctype html><title>Refused</title><h1>Refused</h1><p>{text}. Nothing was changed.</p>"
                f"<p><a href=\"/\">Back</a></p>".encode())


def refusal(status: int, detail: str, headers: dict[str, str] | None = None) -> Refusal:
    return Refusal(status, detail, tuple((k.lower().encode(), v.encode()) for k, v in (headers or {}).items()))


def may_have_body(scope) -> bool:
    """A request whose body a route could read: any method but GET/HEAD/OPTIONS, or one
    that declares a body anyway."""
    if scope["method"] not in BODYLESS:
        return True
    return any(k in (b"content-length", b"transfer-encoding") and v not in (b"0",) for k, v in scope["headers"])


def _bearer(scope) -> HTTPAuthorizationCredentials | None:
    for k, v in scope["headers"]:
        if k == b"authorization":
            scheme, _, cred = v.decode("latin-1").partition(" ")
            if scheme and cred.strip():
                return HTTPAuthorizationCredentials(scheme=scheme, credentials=cred.strip())
    return None


def is_api(path: str) -> bool:
    return path.startswith("/api/") or path == "/api"


def _check(scope) -> Refusal | None:
    from signage.admin import api, pages  # the routes' own checks (imported late: they import this package)

    request = Request(scope)  # headers only: no receive, so nothing of the body can be read
    path = scope["path"]
    if is_api(path):
        bearer = _bearer(scope)
        try:
            api.api_user(request, bearer)
        except HTTPException as exc:
            r = refusal(exc.status_code, str(exc.detail), exc.headers)
            event = "token.refused" if exc.status_code == 401 and bearer is not None else "request.refused"
            _audit(request, event, r, str(exc.detail))
            return r
        return None
    if path in OPEN_POSTS:
        return None
    if pages.current_session(request) is None:
        r = Refusal(303, "", ((b"location", b"/login"),))
        _audit(request, "request.refused", r, "no valid session: sent to the login form")
        return r
    return None


def _audit(request: Request, event: str, r: Refusal, why: str) -> None:
    svc = getattr(request.app.state, "service", None)
    if svc is not None:
        svc.audit.record(event, outcome=str(r.status), detail=f"{request.method} {request.url.path}: {why}")


def client_of(scope) -> str:
    client = scope.get("client")
    return client[0] if client else "unknown"


async def admitted(scope) -> Refusal | None:
    """None when the request may go on and have its body read; the refusal otherwise."""
    CLIENT.set(client_of(scope))
    body = may_have_body(scope)
    if not body and (not is_api(scope["path"]) or scope["path"] in OPEN_API_GETS):
        return None
    return await run_in_threadpool(_check, scope)  # the checks may read the credential store


class Slots:
    """At most ``limit`` uploads at once (one event loop: a plain counter is enough)."""

    def __init__(self, limit: int, retry_after_s: int = 10) -> None:
        self.limit = limit
        self.retry_after_s = retry_after_s
        self.busy = 0

    def take(self) -> bool:
        if self.busy >= self.limit:
            return False
        self.busy += 1
        return True

    def give(self) -> None:
        self.busy -= 1

    def refusal(self) -> Refusal:
        return refusal(503, f"{self.limit} uploads are already running: try again in a few seconds",
                            {"Retry-After": str(self.retry_after_s)})
