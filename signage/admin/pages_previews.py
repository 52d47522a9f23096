"""The version page's previews, timelines and delivery (the template calls these), and the
preview pictures: each creative as the screen draws it. An advertiser gets the pictures of
their own versions only; another account's version is "no such version" (404)."""

from __future__ import annotations

import threading
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from signage.admin.delivery_view import delivery_tables
from signage.admin.owned import version_for
from signage.admin.pages import need_account, service, templates
from signage.admin.previews import Previews
from signage.admin.timeline_svg import timeline_svg
from signage.content_store import StoreError

__all__ = ["router", "previews_of", "PREVIEW_PAGE_WAIT_S"]

router = APIRouter(include_in_schema=False)

PREVIEW_PAGE_WAIT_S = 30.0  # the version page waits this long for its previews being drawn, then says so
_PREVIEWS_LOCK = threading.Lock()


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


templates.env.globals.update(version_previews=_version_previews, timeline_svg=timeline_svg,
                             delivery_tables=delivery_tables)


@router.get("/versions/{version_id}/previews/{name}")
def version_preview_file(request: Request, version_id: str, name: str) -> Response:
    _, acc = need_account(request)
    try:
        v = version_for(service(request).store, acc, version_id)
    except StoreError:
        return Response("no such version", status_code=404, media_type="text/plain")
    path = previews_of(request).file(v, name)
    if path is None:
        return Response("no such preview", status_code=404, media_type="text/plain")
    return FileResponse(path, media_type="image/png")
