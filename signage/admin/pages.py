"""The server-rendered pages: login, dashboard, upload, versions, drafts, reports.

Authenticated by a session cookie (signed, HttpOnly, SameSite=Strict; Secure behind TLS).
Every form POST carries a CSRF token bound to the session (on the login form, to a
pre-session cookie) and is refused without it. No page ever shows an image from the
camera: the status shows numbers and words, and the only picture is the report's chart.
"""

from __future__ import annotations

import secrets
import threading
from pathlib import Path
from typing import Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from signage.admin.api import client_address
from signage.admin.auth import Session
from signage.admin.delivery_view import delivery_tables
from signage.admin.previews import Previews
from signage.admin.report_exports import export
from signage.admin.drafts import DraftError
from signage.admin.reports import ReportUnavailable, chart_png, load_report, report_rows
from signage.admin.service import AdminService, Locked
from signage.admin.wording import progress_words
from signage.admin.timeline_svg import timeline_svg
from signage.admin.zipcheck import BundleRefused
from signage.content_store import StoreError

__all__ = ["router", "LoginRequired", "CsrfRefused", "SESSION_COOKIE", "PRE_COOKIE", "templates"]

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
    return templates.TemplateResponse(request, name, {"user": session.user if session else None, "csrf": csrf, **ctx},
                                      status_code=status)


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
    s = need_session(request)
    svc = service(request)
    versions = svc.store.versions()
    done = request.query_params.get("done", "")
    active = svc.store.active_id()
    return render(request, "dashboard.html", s, status_info=svc.status(), versions=versions,
                  active=active, previous=svc.store.previous_id(), drafts=svc.drafts.ids(),
                  done=svc.activation_message(active, "Rolled back") if done == "rolledback" and active else DONE.get(done),
                  data_dir=str(svc.store.root),
                  active_playlist=str(svc.store.active_playlist))


@router.get("/ui/status")
def ui_status(request: Request) -> Response:
    if current_session(request) is None:
        return JSONResponse({"detail": "log in"}, status_code=401)
    return JSONResponse(service(request).status())


# ---------------------------------------------------------------------------- upload and versions


@router.get("/upload")
def upload_page(request: Request) -> Response:
    return render(request, "upload.html", need_session(request))


@router.post("/upload")
def upload(request: Request, csrf: str = Form(""), file: UploadFile | None = File(None)) -> Response:
    s = need_session(request)
    check_csrf(request, s, csrf)
    if file is None or not file.filename:
        return render(request, "upload.html", s, status=422, refused="Choose a .zip file to upload.", problems=[])
    try:
        v = service(request).upload_zip(file.file, by=s.user, filename=file.filename)
    except BundleRefused as exc:
        return render(request, "upload.html", s, status=422, refused=f"{file.filename}: {exc.headline}. "
                      "Nothing was changed: the active version plays on.", problems=exc.problems)
    return RedirectResponse(f"/versions/{v.id}", 303)


@router.get("/versions/{version_id}")
def version_page(request: Request, version_id: str) -> Response:
    s = need_session(request)
    svc = service(request)
    try:
        v = svc.store.get(version_id)
    except StoreError as exc:
        return render(request, "message.html", s, status=404, title="No such version", message=str(exc))
    progress = svc.simulation_progress(v.id)
    done = request.query_params.get("done", "")
    return render(request, "version.html", s, v=v, sims=svc.store.simulation(v.id) or [], progress=progress,
                  status_info=svc.status(),
                  progress_text=progress_words(progress), active=svc.store.active_id(),
                  done=svc.activation_message(v.id) if done == "activated" else DONE.get(done))


@router.get("/ui/versions/{version_id}/simulation")
def ui_simulation(request: Request, version_id: str) -> Response:
    if current_session(request) is None:
        return JSONResponse({"detail": "log in"}, status_code=401)
    p = service(request).simulation_progress(version_id)
    return JSONResponse({**p, "text": progress_words(p)})


@router.post("/versions/{version_id}/activate")
def activate(request: Request, version_id: str, csrf: str = Form("")) -> Response:
    s = need_session(request)
    check_csrf(request, s, csrf)
    try:
        v = service(request).store.activate(version_id, by=s.user)
    except StoreError as exc:
        return render(request, "message.html", s, status=404, title="Not activated", message=str(exc))
    return RedirectResponse(f"/versions/{v.id}?done=activated", 303)


@router.post("/rollback")
def rollback(request: Request, csrf: str = Form("")) -> Response:
    s = need_session(request)
    check_csrf(request, s, csrf)
    try:
        service(request).store.rollback(by=s.user)
    except StoreError as exc:
        return render(request, "message.html", s, status=409, title="Nothing to roll back to", message=str(exc))
    return RedirectResponse("/?done=rolledback", 303)


# ---------------------------------------------------------------------------- drafts


@router.post("/drafts")
def new_draft(request: Request, csrf: str = Form(""), from_version: str = Form("")) -> Response:
    s = need_session(request)
    check_csrf(request, s, csrf)
    svc = service(request)
    try:
        base = svc.store.get(from_version) if from_version else None
    except StoreError as exc:
        return render(request, "message.html", s, status=404, title="No such version", message=str(exc))
    return RedirectResponse(f"/drafts/{svc.drafts.create(base)}", 303)


def _draft_page(request: Request, s: Session, draft_id: str, status: int = 200, **ctx: Any) -> Response:
    svc = service(request)
    try:
        files = svc.drafts.files(draft_id)
        check = svc.validate_draft(draft_id)
    except DraftError as exc:
        return render(request, "message.html", s, status=404, title="No such draft", message=str(exc))
    return render(request, "draft.html", s, status=status, draft_id=draft_id, files=files, check=check, **ctx)


@router.get("/drafts/{draft_id}")
def draft_page(request: Request, draft_id: str) -> Response:
    return _draft_page(request, need_session(request), draft_id)


@router.post("/drafts/{draft_id}/files")
def draft_put(request: Request, draft_id: str, csrf: str = Form(""), file: UploadFile | None = File(None)) -> Response:
    s = need_session(request)
    check_csrf(request, s, csrf)
    svc = service(request)
    if file is None or not file.filename:
        return _draft_page(request, s, draft_id, status=422, refused="Choose a file.", problems=[])
    try:
        svc.drafts.put(draft_id, Path(file.filename).name, file.file, limits=svc.intake.asset_limits,
                       max_bytes=svc.settings.admin.max_upload_bytes,
                       max_playlist_bytes=svc.settings.playlist.max_playlist_bytes)
    except DraftError as exc:
        return render(request, "message.html", s, status=404, title="No such draft", message=str(exc))
    except BundleRefused as exc:
        return _draft_page(request, s, draft_id, status=422, refused=f"{file.filename} refused; the draft is unchanged.",
                           problems=exc.problems)
    return RedirectResponse(f"/drafts/{draft_id}", 303)


@router.post("/drafts/{draft_id}/remove")
def draft_remove(request: Request, draft_id: str, csrf: str = Form(""), name: str = Form("")) -> Response:
    s = need_session(request)
    check_csrf(request, s, csrf)
    try:
        service(request).drafts.remove_file(draft_id, name)
    except DraftError as exc:
        return render(request, "message.html", s, status=404, title="Not removed", message=str(exc))
    return RedirectResponse(f"/drafts/{draft_id}", 303)


@router.post("/drafts/{draft_id}/commit")
def draft_commit(request: Request, draft_id: str, csrf: str = Form("")) -> Response:
    s = need_session(request)
    check_csrf(request, s, csrf)
    try:
        v = service(request).commit_draft(draft_id, by=s.user)
    except DraftError as exc:
        return render(request, "message.html", s, status=404, title="No such draft", message=str(exc))
    except BundleRefused as exc:
        return _draft_page(request, s, draft_id, status=422, refused="Not saved as a version: fix what is listed.",
                           problems=exc.problems)
    return RedirectResponse(f"/versions/{v.id}", 303)


@router.post("/drafts/{draft_id}/delete")
def draft_delete(request: Request, draft_id: str, csrf: str = Form("")) -> Response:
    s = need_session(request)
    check_csrf(request, s, csrf)
    try:
        service(request).drafts.delete(draft_id)
    except DraftError as exc:
        return render(request, "message.html", s, status=404, title="No such draft", message=str(exc))
    return RedirectResponse("/?done=draftdeleted", 303)


# ---------------------------------------------------------------------------- reports


def _report(request: Request, since: str, until: str, tz: str):
    return load_report(service(request).settings.analytics.db_path, since or None, until or None, tz or None)


@router.get("/reports")
def reports_page(request: Request, since: str = "7d", until: str = "", tz: str = "") -> Response:
    s = need_session(request)
    try:
        report, zone = _report(request, since, until, tz)
    except ReportUnavailable as exc:
        return render(request, "reports.html", s, error=str(exc), since=since, until=until, tz=tz)
    return render(request, "reports.html", s, rows=report_rows(report, zone), since=since, until=until, tz=tz)


@router.get("/reports/chart.png")
def reports_chart(request: Request, since: str = "7d", until: str = "", tz: str = "") -> Response:
    need_session(request)
    try:
        report, zone = _report(request, since, until, tz)
    except ReportUnavailable as exc:
        return Response(str(exc), status_code=404, media_type="text/plain")
    if report.empty:
        return Response(status_code=204)
    return Response(chart_png(report, zone), media_type="image/png")


# ---------------------------------------------------------------------------- the advertiser's view (advview)
# The version page's previews, timelines and delivery (the template calls these), the preview
# pictures, and the reports' downloads.

PREVIEW_PAGE_WAIT_S = 30.0  # the version page waits this long for its previews being drawn, then says so


def previews_of(request: Request) -> Previews:
    app = request.app
    with _PREVIEWS_LOCK:
        if getattr(app.state, "previews", None) is None:
            svc = service(request)
            app.state.previews = Previews(svc.store, svc.settings)
    return app.state.previews


def _version_previews(request: Request, v: Any) -> dict[str, Any]:
    """For the template: the drawn creatives, or why there are none (yet)."""
    pv = previews_of(request)
    manifest = pv.wait(v, PREVIEW_PAGE_WAIT_S)
    return {"creatives": (manifest or {}).get("creatives", []), "ready": manifest is not None, "failed": pv.failed(v)}


_PREVIEWS_LOCK = threading.Lock()
templates.env.globals.update(version_previews=_version_previews, timeline_svg=timeline_svg,
                             delivery_tables=delivery_tables)


@router.get("/versions/{version_id}/previews/{name}")
def version_preview_file(request: Request, version_id: str, name: str) -> Response:
    need_session(request)
    try:
        v = service(request).store.get(version_id)
    except StoreError:
        return Response("no such version", status_code=404, media_type="text/plain")
    path = previews_of(request).file(v, name)
    if path is None:
        return Response("no such preview", status_code=404, media_type="text/plain")
    return FileResponse(path, media_type="image/png")


@router.get("/reports/export")
def reports_export(request: Request, format: str = "csv", per: str = "play", since: str = "7d", until: str = "",
                   tz: str = "", version: str = "", campaign: str = "") -> Response:
    need_session(request)
    svc = service(request)
    try:
        media, text = export(svc.settings, svc.store, fmt=format, per=per, since=since or None, until=until or None,
                             tz_name=tz or None, version=version or None, campaign=campaign or None)
    except ReportUnavailable as exc:
        return Response(str(exc), status_code=404, media_type="text/plain")
    name = f"proof-of-play-{per}{'-' + version if version else ''}.{format}"
    return Response(text, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})
