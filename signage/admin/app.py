"""The admin service's app factory and server.

``create_app(settings)`` builds the FastAPI app (pages, JSON API, static files) around an
``AdminService``; ``serve(settings)`` runs it with uvicorn on ``admin.host:admin.port``
(127.0.0.1 unless configured), with proxy headers trusted only when
``admin.trust_proxy_headers`` is set.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from signage import __version__
from signage.admin import api, pages
from signage.admin.limits import server_options
from signage.admin.security import BodyTooLarge, Guard, guard_options, too_large_message
from signage.admin.service import AdminService
from signage.config import Settings

__all__ = ["create_app", "serve"]

log = logging.getLogger("signage.admin")

DESCRIPTION = """
The advertisers' upload service of a signage kiosk.

**Authentication**: every `/api` call needs an API token, made on the kiosk with
`signage admin token create NAME` (printed once, stored hashed):
`Authorization: Bearer sgn_...`. Failures are counted per client address; too many lock
the address out for a while (HTTP 429 with `Retry-After`). Cookies are not accepted by
the API.

**Content**: upload a bundle (a zip of `playlist.yaml` and its creatives) or build a
draft file by file; each is checked (zip safety, every file by its content), validated
with the player's own loader and simulated before it becomes a version. Activation and
rollback switch the player's playlist atomically; the player picks it up within seconds.
"""


def create_app(settings: Settings, service: AdminService | None = None) -> FastAPI:
    svc = service or AdminService.from_settings(settings)
    svc.store.clean_tmp()
    app = FastAPI(title="signage admin", version=__version__, description=DESCRIPTION,
                  openapi_url="/api/openapi.json", docs_url=None, redoc_url=None)
    app.state.service = svc
    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static")

    @app.exception_handler(pages.LoginRequired)
    async def _login(request: Request, exc: pages.LoginRequired) -> Response:
        return RedirectResponse("/login", 303)

    @app.exception_handler(pages.CsrfRefused)
    async def _csrf(request: Request, exc: pages.CsrfRefused) -> Response:
        return pages.templates.TemplateResponse(
            request, "message.html",
            {"user": None, "csrf": "", "title": "Form refused",
             "message": "This form has expired or did not come from this site (its security token is missing or "
                        "wrong). Nothing was changed. Reload the page and try again."},
            status_code=403)

    @app.exception_handler(BodyTooLarge)
    async def _too_large(request: Request, exc: BodyTooLarge) -> Response:
        from fastapi.responses import JSONResponse

        msg = too_large_message(exc.limit)
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": msg}, status_code=413)
        return pages.templates.TemplateResponse(
            request, "message.html", {"user": None, "csrf": "", "title": "Upload refused",
                                      "message": f"{msg}. Nothing was changed."}, status_code=413)

    a = settings.admin
    app.add_middleware(Guard, **guard_options(a))
    return app


def serve(settings: Settings) -> int:
    import uvicorn

    a = settings.admin
    app = create_app(settings)
    if a.host not in ("127.0.0.1", "localhost", "::1"):
        log.warning("admin service listening on %s: reachable from the network; put TLS in front (docs/admin.md)", a.host)
    log.info("admin service on http://%s:%d/ (content folder %s)", a.host, a.port, Path(a.data_dir).expanduser())
    uvicorn.run(app, host=a.host, port=a.port, proxy_headers=a.trust_proxy_headers, forwarded_allow_ips="127.0.0.1",
                server_header=False, log_level=settings.log_level.lower(), **server_options(a))
    return 0
