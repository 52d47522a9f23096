"""The drafts' pages: a working folder filled one file at a time, saved as a version.

A draft is its maker's: an advertiser sees, edits, saves and deletes only their own (and
starts one only from a version of their own); another account's draft is "no draft ..."
(404), as if it did not exist (owned.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from signage.admin.access import Account
from signage.admin.auth import Session
from signage.admin.drafts import DraftError
from signage.admin.owned import draft_for, forget_draft_owner, record_draft_owner, version_for
from signage.admin.pages import allowed, check_csrf, forbidden, need_account, no_version, render, service
from signage.admin.zipcheck import BundleRefused
from signage.content_store import StoreError

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _no_draft(request: Request, s: Session, exc: DraftError, title: str = "No such draft") -> Response:
    return render(request, "message.html", s, status=404, title=title, message=str(exc))


def _own(request: Request, s: Session, acc: Account, draft_id: str) -> Response | None:
    """None when the draft is there and the account's; else the page that says why not."""
    if (no := forbidden(request, s, acc, "drafts")) is not None:
        return no
    try:
        draft_for(service(request).drafts, acc, draft_id)
    except DraftError as exc:
        return _no_draft(request, s, exc)
    return None


@router.post("/drafts")
def new_draft(request: Request, csrf: str = Form(""), from_version: str = Form("")) -> Response:
    s, acc, no = allowed(request, "drafts", csrf)
    if no is not None:
        return no
    svc = service(request)
    try:
        base = version_for(svc.store, acc, from_version) if from_version else None
    except StoreError as exc:
        return no_version(request, s, exc)
    draft_id = svc.drafts.create(base)
    record_draft_owner(svc.drafts, draft_id, acc)
    return RedirectResponse(f"/drafts/{draft_id}", 303)


def _draft_page(request: Request, s: Session, draft_id: str, status: int = 200, **ctx: Any) -> Response:
    svc = service(request)
    try:
        files = svc.drafts.files(draft_id)
        check = svc.validate_draft(draft_id)
    except DraftError as exc:
        return _no_draft(request, s, exc)
    return render(request, "draft.html", s, status=status, draft_id=draft_id, files=files, check=check, **ctx)


@router.get("/drafts/{draft_id}")
def draft_page(request: Request, draft_id: str) -> Response:
    s, acc = need_account(request)
    return _own(request, s, acc, draft_id) or _draft_page(request, s, draft_id)


@router.post("/drafts/{draft_id}/files")
def draft_put(request: Request, draft_id: str, csrf: str = Form(""), file: UploadFile | None = File(None)) -> Response:
    s, acc = need_account(request)
    check_csrf(request, s, csrf)
    if (no := _own(request, s, acc, draft_id)) is not None:
        return no
    svc = service(request)
    if file is None or not file.filename:
        return _draft_page(request, s, draft_id, status=422, refused="Choose a file.", problems=[])
    try:
        svc.drafts.put(draft_id, Path(file.filename).name, file.file, limits=svc.intake.asset_limits,
                       max_bytes=svc.settings.admin.max_upload_bytes,
                       max_playlist_bytes=svc.settings.playlist.max_playlist_bytes)
    except DraftError as exc:
        return _no_draft(request, s, exc)
    except BundleRefused as exc:
        return _draft_page(request, s, draft_id, status=422, refused=f"{file.filename} refused; the draft is unchanged.",
                           problems=exc.problems)
    return RedirectResponse(f"/drafts/{draft_id}", 303)


@router.post("/drafts/{draft_id}/remove")
def draft_remove(request: Request, draft_id: str, csrf: str = Form(""), name: str = Form("")) -> Response:
    s, acc = need_account(request)
    check_csrf(request, s, csrf)
    if (no := _own(request, s, acc, draft_id)) is not None:
        return no
    try:
        service(request).drafts.remove_file(draft_id, name)
    except DraftError as exc:
        return _no_draft(request, s, exc, "Not removed")
    return RedirectResponse(f"/drafts/{draft_id}", 303)


@router.post("/drafts/{draft_id}/commit")
def draft_commit(request: Request, draft_id: str, csrf: str = Form("")) -> Response:
    s, acc = need_account(request)
    check_csrf(request, s, csrf)
    if (no := _own(request, s, acc, draft_id) or forbidden(request, s, acc, "upload")) is not None:
        return no
    try:
        v = service(request).commit_draft(draft_id, by=acc.name)
    except DraftError as exc:
        return _no_draft(request, s, exc)
    except BundleRefused as exc:
        return _draft_page(request, s, draft_id, status=422, refused="Not saved as a version: fix what is listed.",
                           problems=exc.problems)
    return RedirectResponse(f"/versions/{v.id}", 303)


@router.post("/drafts/{draft_id}/delete")
def draft_delete(request: Request, draft_id: str, csrf: str = Form("")) -> Response:
    s, acc = need_account(request)
    check_csrf(request, s, csrf)
    if (no := _own(request, s, acc, draft_id)) is not None:
        return no
    svc = service(request)
    try:
        svc.drafts.delete(draft_id)
    except DraftError as exc:
        return _no_draft(request, s, exc)
    forget_draft_owner(svc.drafts, draft_id)
    return RedirectResponse("/?done=draftdeleted", 303)
