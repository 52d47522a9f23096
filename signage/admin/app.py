"""The admin service's app factory and server.

``create_app(settings)`` builds the FastAPI app (pages, JSON API, static files) around an
``AdminService``; ``serve(settings)`` runs it with uvicorn on ``admin.host:admin.port``
(127.0.0.1 unless configured), with proxy headers trusted only when
``admin.trust_proxy_headers`` is set.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from signage import __version__
from signage.admin import api, pages, pages_drafts, pages_previews, pages_privacy, pages_reports
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

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI):
        if svc.simulations is not None:  # versions whose simulation a stop interrupted: again
            svc.simulations.start().requeue_unsimulated()
        yield
        if svc.simulations is not None:
            svc.simulations.stop()

    app = FastAPI(title="signage admin", version=__version__, description=DESCRIPTION,
                  openapi_url="/api/openapi.json", docs_url=None, redoc_url=None, lifespan=lifespan)
    app.state.service = svc
    app.include_router(api.router)
    app.include_router(pages.router)
    for more in (pages_drafts, pages_previews, pages_reports, pages_privacy):
        app.include_router(more.router)
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


SHUTDOWN_GRACE_S = 2.0  # requests still running at SIGTERM get this long, then the process ends


def serve(settings: Settings) -> int:
    """Run until SIGTERM or SIGINT; then the simulation worker is killed at once, requests in
    flight get ``SHUTDOWN_GRACE_S``, and the process ends (within 5 s; docs/admin.md)."""
    import uvicorn

    a = settings.admin
    svc = AdminService.from_settings(settings)
    app = create_app(settings, svc)
    if a.host not in ("127.0.0.1", "localhost", "::1"):
        log.warning("admin service listening on %s: reachable from the network; put TLS in front (docs/admin.md)", a.host)
    log.info("admin service on http://%s:%d/ (content folder %s)", a.host, a.port, Path(a.data_dir).expanduser())

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame) -> None:
            if svc.simulations is not None:
                svc.simulations.stop()  # first: the worker must not outlive the signal
            super().handle_exit(sig, frame)

    config = uvicorn.Config(app, host=a.host, port=a.port, proxy_headers=a.trust_proxy_headers,
                            forwarded_allow_ips="127.0.0.1", server_header=False, log_level=settings.log_level.lower(),
                            timeout_graceful_shutdown=int(SHUTDOWN_GRACE_S), **server_options(a))
    Server(config).run()
    if svc.simulations is not None:
        svc.simulations.stop()
        svc.simulations.join(1.0)
    log.info("admin service stopped")
    return 0
