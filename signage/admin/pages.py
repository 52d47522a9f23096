"""The server-rendered pages: login, dashboard, upload, versions (drafts: pages_drafts.py;
reports: pages_reports.py; previews: pages_previews.py).

Authenticated by a session cookie (signed, HttpOnly, SameSite=Strict; Secure behind TLS).
Every form POST carries a CSRF token bound to the session (on the login form, to a
pre-session cookie) and is refused without it. No page ever shows an image from the
camera: the status shows numbers and words, and the only picture is the report's chart.

Every route asks access.py whether the account's role may do it: a version of another
account is "no version ..." (404, as if it did not exist); an action the role may never do
is a 403 page that says so.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from signage.admin.access import Account, redact_versions, refusal, status_for
from signage.admin.api import client_address
from signage.admin.auth import Session
from signage.admin.owned import active_owner, drafts_for, version_for, versions_for
from signage.admin.service import AdminService, Locked
from signage.admin.wording import progress_words
from signage.admin.zipcheck import BundleRefused
from signage.content_store import StoreError

__all__ = ["router", "LoginRequired", "CsrfRefused", "SESSION_COOKIE", "PRE_COOKIE", "templates", "need_account",
           "forbidden", "allowed", "status_of"]

SESSION_COOKIE = "signage_session"
PRE_COOKIE = "signage_pre"
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
router = APIRouter(include_in_schema=False)

DONE = {
    "loggedout": "Logged out.",
    "draftdeleted": "Draft deleted.",
}


class LoginRequired(Exception):
    pass


class CsrfRefused(Exception):
    pass


def service(request: Request) -> AdminService:
    return request.app.state.service


def current_session(request: Request) -> Session | None:
    return service(request).sessions.verify(request.cookies.get(SESSION_COOKIE))


def need_session(request: Request) -> Session:
    s = current_session(request)
    if s is None:
        raise LoginRequired()
    return s


def need_account(request: Request) -> tuple[Session, Account]:
    """The session and who it is (the role looked up in the credentials at each request);
    a user no longer in the credentials logs in again."""
    s = need_session(request)
    role = service(request).credentials.role(s.user)
    if role is None:
        raise LoginRequired()
    return s, Account(s.user, role)


def forbidden(request: Request, s: Session, account: Account, action: str) -> Response | None:
    """None when the role may do the action, else the 403 page saying why."""
    msg = refusal(account.role, action)
    return None if msg is None else render(request, "message.html", s, status=403, title="Not allowed", message=msg)


def allowed(request: Request, action: str, csrf: str | None = None) -> tuple[Session, Account, Response | None]:
    """The session and account (a form's CSRF token checked), and the 403 page when the role
    may not do the action (None: allowed)."""
    s, acc = need_account(request)
    if csrf is not None:
        check_csrf(request, s, csrf)
    return s, acc, forbidden(request, s, acc, action)


def said(acc: Account, text: str, own: str | None) -> str:
    """A message about what plays, as the account may read it (no other account's version)."""
    return text if acc.operator else redact_versions(text, own)


def status_of(request: Request, account: Account) -> dict[str, Any]:
    """The status the account may read (an advertiser: in words, and only their own active version)."""
    svc = service(request)
    return status_for(account, svc.status(), active_owner(svc.store))


def _binding(request: Request, session: Session | None) -> str | None:
    if session is not None:
        return f"session:{session.sid}"
    pre = request.cookies.get(PRE_COOKIE)
    return f"pre:{pre}" if pre else None


def check_csrf(request: Request, session: Session | None, token: str) -> None:
    if not service(request).sessions.check_csrf(_binding(request, session), token):
        raise CsrfRefused()


def render(request: Request, name: str, session: Session | None, status: int = 200, binding: str | None = None,
           **ctx: Any) -> HTMLResponse:
    binding = binding or _binding(request, session)
    csrf = service(request).sessions.csrf_token(binding) if binding else ""
    role = service(request).credentials.role(session.user) if session else None
    return templates.TemplateResponse(request, name, {"user": session.user if session else None, "role": role,
                                                      "csrf": csrf, **ctx}, status_code=status)


def _cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="strict", path="/",
                        secure=service(request).settings.admin.secure_cookies)


# ---------------------------------------------------------------------------- login


@router.get("/login")
def login_page(request: Request) -> Response:
    if current_session(request):
        return RedirectResponse("/", 303)
    pre = request.cookies.get(PRE_COOKIE)
    fresh = pre is None or len(pre) != 32
    if fresh:
        pre = secrets.token_hex(16)
    resp = render(request, "login.html", None, binding=f"pre:{pre}",
                  done=DONE.get(request.query_params.get("done", "")))
    if fresh:
        _cookie(resp, request, PRE_COOKIE, pre, 3600)
    return resp


@router.post("/login")
def login(request: Request, username: str = Form(""), password: str = Form(""), csrf: str = Form("")) -> Response:
    check_csrf(request, None, csrf)
    svc = service(request)
    try:
        ok = svc.login(username, password, client_address(request))
    except Locked as exc:
        resp = render(request, "login.html", None, status=429, error=str(exc), username=username)
        resp.headers["Retry-After"] = str(exc.seconds)
        return resp
    if not ok:
        return render(request, "login.html", None, status=401, error="Wrong user name or password.", username=username)
    cookie, _ = svc.sessions.issue(username)
    resp = RedirectResponse("/", 303)
    _cookie(resp, request, SESSION_COOKIE, cookie, int(svc.settings.admin.session_lifetime_s))
    resp.delete_cookie(PRE_COOKIE, path="/")
    return resp


@router.post("/logout")
def logout(request: Request, csrf: str = Form("")) -> Response:
    s = need_session(request)
    check_csrf(request, s, csrf)
    service(request).sessions.revoke(s)
    resp = RedirectResponse("/login?done=loggedout", 303)
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp


# ---------------------------------------------------------------------------- dashboard


@router.get("/")
def dashboard(request: Request) -> Response:
    s, acc = need_account(request)
    svc = service(request)
    st = status_of(request, acc)
    done = request.query_params.get("done", "")
    active = st["active"]
    return render(request, "dashboard.html", s, status_info=st, versions=versions_for(svc.store, acc),
                  active=active, previous=svc.store.previous_id() if acc.operator else None,
                  drafts=drafts_for(svc.drafts, acc),
                  done=svc.activation_message(active, "Rolled back") if done == "rolledback" and active else DONE.get(done))


@router.get("/ui/status")
def ui_status(request: Request) -> Response:
    if current_session(request) is None:
        return JSONResponse({"detail": "log in"}, status_code=401)
    _, acc = need_account(request)
    return JSONResponse(status_of(request, acc))


# ---------------------------------------------------------------------------- upload and versions


@router.get("/upload")
def upload_page(request: Request) -> Response:
    s, acc = need_account(request)
    return forbidden(request, s, acc, "upload") or render(request, "upload.html", s)


@router.post("/upload")
def upload(request: Request, csrf: str = Form(""), file: UploadFile | None = File(None)) -> Response:
    s, acc, no = allowed(request, "upload", csrf)
    if no is not None:
        return no
    if file is None or not file.filename:
        return render(request, "upload.html", s, status=422, refused="Choose a .zip file to upload.", problems=[])
    try:
        v = service(request).upload_zip(file.file, by=acc.name, filename=file.filename)
    except BundleRefused as exc:
        return render(request, "upload.html", s, status=422, refused=f"{file.filename}: {exc.headline}. "
                      "Nothing was changed: the active version plays on.", problems=exc.problems)
    return RedirectResponse(f"/versions/{v.id}", 303)


def no_version(request: Request, s: Session, exc: Exception, title: str = "No such version") -> Response:
    """The 404 of a version that does not exist, or is another account's (the same words)."""
    return render(request, "message.html", s, status=404, title=title, message=str(exc))


@router.get("/versions/{version_id}")
def version_page(request: Request, version_id: str) -> Response:
    s, acc = need_account(request)
    svc = service(request)
    try:
        v = version_for(svc.store, acc, version_id)
    except StoreError as exc:
        return no_version(request, s, exc)
    progress = svc.simulation_progress(v.id)
    done = request.query_params.get("done", "")
    return render(request, "version.html", s, v=v, sims=svc.store.simulation(v.id) or [], progress=progress,
                  status_info=status_of(request, acc),
                  progress_text=progress_words(progress), active=svc.store.active_id(),
                  done=said(acc, svc.activation_message(v.id), v.id) if done == "activated" else DONE.get(done))


@router.get("/ui/versions/{version_id}/simulation")
def ui_simulation(request: Request, version_id: str) -> Response:
    if current_session(request) is None:
        return JSONResponse({"detail": "log in"}, status_code=401)
    _, acc = need_account(request)
    svc = service(request)
    try:
        version_for(svc.store, acc, version_id)
    except StoreError as exc:
        return JSONResponse({"detail": str(exc)}, status_code=404)
    p = svc.simulation_progress(version_id)
    return JSONResponse({**p, "text": progress_words(p)})


@router.post("/versions/{version_id}/activate")
def activate(request: Request, version_id: str, csrf: str = Form("")) -> Response:
    s, acc, no = allowed(request, "activate", csrf)
    if no is not None:
        return no
    svc = service(request)
    try:
        v = svc.store.activate(version_for(svc.store, acc, version_id).id, by=acc.name)
    except StoreError as exc:
        return no_version(request, s, exc, "Not activated")
    return RedirectResponse(f"/versions/{v.id}?done=activated", 303)


@router.post("/pause")
def pause(request: Request, csrf: str = Form(""), resume: str = Form("")) -> Response:
    """The dashboard's buttons: pause audience measurement for a passer-by, or resume it."""
    from signage.admin.pause_request import PauseUnavailable, ask_player

    s, acc, no = allowed(request, "pause", csrf)
    if no is not None:
        return no
    try:
        said = ask_player(service(request), acc.name, "resume" if resume else "pause")
    except PauseUnavailable as exc:
        return render(request, "message.html", s, status=503, title="The player cannot be told", message=str(exc))
    return render(request, "message.html", s, title="Resumed" if resume else "Paused", message=said["message"])


@router.post("/rollback")
def rollback(request: Request, csrf: str = Form("")) -> Response:
    s, acc, no = allowed(request, "rollback", csrf)
    if no is not None:
        return no
    try:
        service(request).store.rollback(by=acc.name)
    except StoreError as exc:
        return render(request, "message.html", s, status=409, title="Nothing to roll back to", message=str(exc))
    return RedirectResponse("/?done=rolledback", 303)
