"""The second layer of the privacy notice, for passers-by: /privacy (the page) and
/privacy/poster.pdf (the A4 poster), served without login, generated from the configuration
(signage/disclosure). Both are cached for the life of the process: the configuration is read
once at start, as by the rest of the service."""

from __future__ import annotations

import functools
import threading

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from signage.admin.pages import service
from signage.disclosure.facts import facts
from signage.disclosure.html import page_html

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
_poster_lock = threading.Lock()  # pygame's font module: one drawing at a time


@functools.lru_cache(maxsize=4)
def _poster(settings_json: str) -> bytes:
    from signage.config import Settings
    from signage.disclosure.poster import poster_pdf

    with _poster_lock:
        return poster_pdf(Settings.model_validate_json(settings_json))


@router.get("/privacy", response_class=HTMLResponse)
def privacy_page(request: Request) -> HTMLResponse:
    return HTMLResponse(page_html(facts(service(request).settings)),
                        headers={"Cache-Control": "no-cache", "X-Robots-Tag": "noindex"})


@router.get("/privacy/poster.pdf")
def privacy_poster(request: Request) -> Response:
    pdf = _poster(service(request).settings.model_dump_json())
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": 'inline; filename="privacy-poster.pdf"'})
