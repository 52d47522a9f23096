"""The JSON API (``/api/...``), authenticated by API tokens: ``Authorization: Bearer sgn_...``.

Documented by FastAPI's OpenAPI at ``/api/openapi.json`` (the bearer scheme included).
Cookies are never accepted here, so no API call can be made by another site through a
logged-in browser (no CSRF surface).

A token acts as an account with a role (access.py): its user's, or its own. Every route
asks access.py: another account's version or draft is 404 with the words of one that does
not exist; an action the role may never do is 403 with a message that says so.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, HTTPException, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from signage.admin.access import Account, redact_versions, refusal, status_for
from signage.admin.drafts import DraftError
from signage.admin.owned import active_owner, draft_for, record_draft_owner, version_for, versions_for
from signage.admin.report_scope import scope_for
from signage.admin.reports import ReportUnavailable, chart_png, load_report, report_json
from signage.admin.service import AdminService, Locked
from signage.admin.zipcheck import BundleRefused
from signage.content_store import StoreError

__all__ = ["router", "client_address"]

bearer = HTTPBearer(auto_error=False, scheme_name="APIToken",
                    description="An API token made with `signage admin token create NAME` (printed once).")

AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "No token, or not a valid one"},
    429: {"description": "Too many failed attempts from this client address: locked for a while (Retry-After)"},
}
REFUSED = {422: {"description": "Refused: `problems` lists each file, line, field and reason; nothing was changed"},
           413: {"description": "The request is larger than admin.max_upload_bytes; nothing was changed"}}

router = APIRouter(prefix="/api", responses=AUTH_RESPONSES)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def service(request: Request) -> AdminService:
    return request.app.state.service


def api_user(request: Request, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> str:
    svc = service(request)
    client = client_address(request)
    try:
        if creds is None or creds.scheme.lower() != "bearer":
            svc.check_client(client)
            raise HTTPException(401, "authentication required: send 'Authorization: Bearer <token>'",
                                headers={"WWW-Authenticate": "Bearer"})
        who = svc.token_user(creds.credentials, client)
    except Locked as exc:
        raise HTTPException(429, str(exc), headers={"Retry-After": str(exc.seconds)}) from None
    if who is None:
        raise HTTPException(401, "invalid token", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    return who


User = Annotated[str, Depends(api_user)]


def api_account(request: Request, who: User) -> Account:
    """The account and role the token acts as (looked up at each request: a changed role or
    a removed user applies at once)."""
    found = service(request).credentials.token_account(who.removeprefix("token:"))
    if found is None:
        raise HTTPException(401, "invalid token", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    return Account(*found)


Acct = Annotated[Account, Depends(api_account)]


def require(acc: Account, action: str) -> None:
    msg = refusal(acc.role, action)
    if msg is not None:
        raise HTTPException(403, msg)


def _version(svc: AdminService, acc: Account, version_id: str):
    try:
        return version_for(svc.store, acc, version_id)
    except StoreError as exc:
        raise HTTPException(404, str(exc)) from None


def _own_draft(svc: AdminService, acc: Account, draft_id: str) -> None:
    require(acc, "drafts")
    try:
        draft_for(svc.drafts, acc, draft_id)
    except DraftError as exc:
        raise HTTPException(404, str(exc)) from None


def _refused(exc: BundleRefused) -> JSONResponse:
    return JSONResponse({"detail": exc.headline + "; nothing was changed", "problems": exc.to_json()},
                        status_code=422)


@router.get("/status", summary="Active version, previous version and the player's live status "
            "(an advertiser: the status in words, and the active version only when it is theirs)")
def get_status(request: Request, acc: Acct) -> dict[str, Any]:
    svc = service(request)
    return status_for(acc, svc.status(), active_owner(svc.store))


@router.get("/versions", summary="Every version kept (an advertiser: their own), newest first")
def list_versions(request: Request, acc: Acct) -> dict[str, Any]:
    svc = service(request)
    mine = versions_for(svc.store, acc)
    ids = {v.id for v in mine}
    active, previous = svc.store.active_id(), svc.store.previous_id()
    return {"active": active if active in ids else None, "previous": previous if previous in ids else None,
            "versions": [svc.version_json(v) for v in mine]}


@router.post("/versions", status_code=201, responses=REFUSED,
             summary="Upload a bundle: a zip of playlist.yaml and its creatives",
             description="Checked (zip safety, every file by content), validated with the player's loader and "
                         "simulated against the example scenarios (and the bundle's scenario.yaml / scenarios/*.yaml). "
                         "Only a bundle that passes becomes a version; it is not activated.")
def upload_version(request: Request, acc: Acct, file: UploadFile = File(..., description="the bundle (.zip)")) -> Any:
    require(acc, "upload")
    try:
        v = service(request).upload_zip(file.file, by=acc.name, filename=file.filename or "")
    except BundleRefused as exc:
        return _refused(exc)
    return service(request).version_json(v)


@router.get("/versions/{version_id}", summary="A version: validation, simulation summary and timelines")
def get_version(request: Request, acc: Acct, version_id: str) -> dict[str, Any]:
    svc = service(request)
    return svc.version_json(_version(svc, acc, version_id), full=True)


@router.post("/versions/{version_id}/activate", summary="Make a version the one the player plays (atomic)")
def activate(request: Request, acc: Acct, version_id: str) -> dict[str, Any]:
    svc = service(request)
    require(acc, "activate")
    try:
        v = svc.store.activate(_version(svc, acc, version_id).id, by=acc.name)
    except StoreError as exc:
        raise HTTPException(404, str(exc)) from None
    if not acc.operator:  # the previous version may be another account's
        return {"active": v.id, "player": redact_versions(svc.activation_message(v.id), v.id)}
    return {"active": v.id, "previous": svc.store.previous_id(), "player": svc.activation_message(v.id)}


@router.post("/rollback", summary="Activate the version that was active before the active one")
def rollback(request: Request, acc: Acct) -> dict[str, Any]:
    svc = service(request)
    require(acc, "rollback")
    try:
        v = svc.store.rollback(by=acc.name)
    except StoreError as exc:
        raise HTTPException(409, str(exc)) from None
    return {"active": v.id, "previous": svc.store.previous_id(), "player": svc.activation_message(v.id, "Rolled back")}


# ---------------------------------------------------------------------------- drafts


def _draft(svc: AdminService, draft_id: str) -> dict[str, Any]:
    try:
        files = svc.drafts.files(draft_id)
    except DraftError as exc:
        raise HTTPException(404, str(exc)) from None
    return {"id": draft_id, "files": [{"name": f.name, "bytes": f.bytes} for f in files]}


@router.post("/drafts", status_code=201, summary="Start a draft, empty or as a copy of a version (`from`)")
def create_draft(request: Request, acc: Acct,
                 from_: Annotated[str | None, Query(alias="from", description="a version id")] = None) -> dict[str, Any]:
    svc = service(request)
    require(acc, "drafts")
    base = _version(svc, acc, from_) if from_ else None
    draft_id = svc.drafts.create(base)
    record_draft_owner(svc.drafts, draft_id, acc)
    return _draft(svc, draft_id)


@router.get("/drafts/{draft_id}", summary="A draft's files")
def get_draft(request: Request, acc: Acct, draft_id: str) -> dict[str, Any]:
    _own_draft(service(request), acc, draft_id)
    return _draft(service(request), draft_id)


@router.post("/drafts/{draft_id}/files/{name}", responses=REFUSED,
             summary="Put one file into a draft: a creative (checked by content) or playlist.yaml")
def put_draft_file(request: Request, acc: Acct, draft_id: str, name: str,
                   file: UploadFile = File(..., description="the file's content")) -> Any:
    svc = service(request)
    _own_draft(svc, acc, draft_id)
    lim = svc.settings.playlist
    try:
        svc.drafts.path(draft_id)
        svc.drafts.put(draft_id, name, file.file, limits=svc.intake.asset_limits,
                       max_bytes=svc.settings.admin.max_upload_bytes, max_playlist_bytes=lim.max_playlist_bytes)
    except DraftError as exc:
        raise HTTPException(404, str(exc)) from None
    except BundleRefused as exc:
        return _refused(exc)
    return _draft(svc, draft_id)


@router.delete("/drafts/{draft_id}/files/{name}", summary="Remove one file from a draft")
def delete_draft_file(request: Request, acc: Acct, draft_id: str, name: str) -> dict[str, Any]:
    svc = service(request)
    _own_draft(svc, acc, draft_id)
    try:
        svc.drafts.remove_file(draft_id, name)
    except DraftError as exc:
        raise HTTPException(404, str(exc)) from None
    return _draft(svc, draft_id)


@router.post("/drafts/{draft_id}/validate", summary="Validate a draft as it is (nothing is changed)")
def validate_draft(request: Request, acc: Acct, draft_id: str) -> dict[str, Any]:
    _own_draft(service(request), acc, draft_id)
    try:
        return service(request).validate_draft(draft_id)
    except DraftError as exc:
        raise HTTPException(404, str(exc)) from None


@router.post("/drafts/{draft_id}/commit", status_code=201, responses=REFUSED,
             summary="Make a version of a draft (validated and simulated like a bundle)")
def commit_draft(request: Request, acc: Acct, draft_id: str) -> Any:
    svc = service(request)
    _own_draft(svc, acc, draft_id)
    require(acc, "upload")
    try:
        v = svc.commit_draft(draft_id, by=acc.name)
    except DraftError as exc:
        raise HTTPException(404, str(exc)) from None
    except BundleRefused as exc:
        return _refused(exc)
    return svc.version_json(v)


# ---------------------------------------------------------------------------- reports (an advertiser's: their own versions)

Since = Annotated[str | None, Query(description="ISO date or time, or a duration back from now: 7d, 12h")]
VersionQ = Annotated[str | None, Query(description="a version id: only plays of that version")]
CampaignQ = Annotated[str | None, Query(description="a campaign_id: only plays billed to it")]


def _report(request: Request, acc: Account, since, until, tz, version, campaign):
    require(acc, "view_reports")
    svc = service(request)
    try:
        scope = scope_for(svc.settings, svc.store, acc, version, campaign)
        keep = None if scope.digests is None and not scope.campaign else scope.keeps
        return load_report(svc.settings.analytics.db_path, since, until, tz, keep)
    except ReportUnavailable as exc:
        raise HTTPException(404, str(exc)) from None


@router.get("/reports", summary="Per creative and per rule: plays, audience, attention and smiles against the baseline "
            "(of one version and one campaign if given; an advertiser's: of their own versions only)")
def get_report(request: Request, acc: Acct, since: Since = None, until: Since = None,
               tz: Annotated[str | None, Query(description="time zone, e.g. Europe/Paris")] = None,
               version: VersionQ = None, campaign: CampaignQ = None) -> Any:
    report, _ = _report(request, acc, since, until, tz, version, campaign)
    return report_json(report)


@router.get("/reports/chart.png", summary="The report as a 16:9 PNG chart", response_class=Response,
            responses={200: {"content": {"image/png": {}}}, 204: {"description": "no plays in this period"}})
def get_chart(request: Request, acc: Acct, since: Since = None, until: Since = None,
              tz: Annotated[str | None, Query()] = None, version: VersionQ = None, campaign: CampaignQ = None) -> Response:
    report, zone = _report(request, acc, since, until, tz, version, campaign)
    if report.empty:
        return Response(status_code=204)
    return Response(chart_png(report, zone), media_type="image/png")


# ---------------------------------------------------------------------------- exports per version and campaign (advview)


@router.get("/reports/export", summary="Proof of play as buyers ingest it (docs/exports.md), of one version and "
            "one campaign line if given (an advertiser's: of their own versions only): per play, hour or day; "
            "CSV or JSON Lines", response_class=Response)
def get_export(request: Request, acc: Acct, since: Since = None, until: Since = None,
               tz: Annotated[str | None, Query()] = None,
               format: Annotated[str, Query(description="csv or jsonl")] = "csv",
               per: Annotated[str, Query(description="play, hour or day")] = "play",
               version: VersionQ = None, campaign: CampaignQ = None) -> Response:
    from signage.admin.report_exports import export

    require(acc, "view_reports")
    svc = service(request)
    try:
        media, text = export(svc.settings, svc.store, fmt=format, per=per, since=since, until=until, tz_name=tz,
                             account=acc, version=version, campaign=campaign)
    except ReportUnavailable as exc:
        raise HTTPException(404, str(exc)) from None
    return Response(text, media_type=media)


# ------------------------------------------------------------------ a passer-by's objection


def _ask_player(request: Request, acc: Account, what: str) -> dict[str, Any]:
    from signage.admin.pause_request import PauseUnavailable, ask_player

    require(acc, "pause")
    try:
        return ask_player(service(request), acc.name, what)
    except PauseUnavailable as exc:
        raise HTTPException(503, str(exc)) from None


@router.post("/pause", summary="Pause audience measurement (a passer-by's objection) for pause.duration_min: "
             "the player closes the camera within a second; a pause running starts its full time again")
def pause_measurement(request: Request, acc: Acct) -> dict[str, Any]:
    return _ask_player(request, acc, "pause")


@router.delete("/pause", summary="End a pause now: the player opens the camera again")
def resume_measurement(request: Request, acc: Acct) -> dict[str, Any]:
    return _ask_player(request, acc, "resume")
