"""The fleet view (docs/fleet.md, "Fleet view"): the collector's PostgreSQL read by the admin
service, for operators only. /fleet (screens by site and tag, presence, health, what plays
and why, the latest audience; fleet-wide reports; rollouts), /fleet/screens/{id} (and its
tags), POST /fleet/rollouts and /fleet/rollouts/{id} (the report); /fleet/content/{sha256}
serves the files of versions rolled out, for kiosks to fetch by hash.

Off until ``[fleet_admin] db`` is set: /fleet then says how to set it. A database that cannot
be reached, or a broker away, is a page saying so, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, RedirectResponse, Response, StreamingResponse

from signage.admin.pages import check_csrf, need_account, render, service
from signage.analytics import adlog
from signage.config.fleet_admin import FleetAdminConfig
from signage.content_store import StoreError
from signage.fleet import adlog_export, pgschema, queries, rollout

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

OPERATORS_ONLY = "Only an operator can see the fleet and start rollouts."
_SHA = re.compile(r"^[0-9a-f]{64}$")


class FleetUnavailable(Exception):
    """The fleet database cannot be used; the text says why (no password in it)."""


def _cfg(request: Request) -> FleetAdminConfig:
    return service(request).settings.fleet_admin


def _now(request: Request) -> dt.datetime:
    clock: Callable[[], float] | None = getattr(request.app.state, "fleet_clock", None)
    t = clock() if clock else None
    return dt.datetime.fromtimestamp(t, dt.timezone.utc) if t is not None else dt.datetime.now(dt.timezone.utc)


@contextmanager
def _db(cfg: FleetAdminConfig):
    """A connection to the fleet database, its schema brought up to date; FleetUnavailable otherwise."""
    where = pgschema.safe_dsn(cfg.db)
    try:
        conn = psycopg.connect(cfg.db, autocommit=True, connect_timeout=cfg.connect_timeout_s)
    except (psycopg.Error, ValueError) as exc:
        raise FleetUnavailable(f"The fleet database ({where}) cannot be reached: "
                               f"{' '.join(str(exc).split())[:300] or type(exc).__name__}") from None
    try:
        if pgschema.current_version(conn) < pgschema.LATEST:
            pgschema.migrate(conn)
        yield conn
    except pgschema.SchemaError as exc:
        raise FleetUnavailable(f"The fleet database ({where}): {exc}") from None
    except psycopg.OperationalError as exc:
        raise FleetUnavailable(f"The fleet database ({where}) stopped answering: "
                               f"{' '.join(str(exc).split())[:300]}") from None
    except psycopg.Error as exc:  # a permission refused, a table missing: the database, not the page
        raise FleetUnavailable(f"The fleet database ({where}) refused a query: {type(exc).__name__}: "
                               f"{' '.join(str(exc).split())[:300]}") from None
    finally:
        conn.close()


def _operator(request: Request, csrf: str | None = None):
    """(session, the 403/ not-configured page or None)."""
    s, acc = need_account(request)
    if csrf is not None:
        check_csrf(request, s, csrf)
    if not acc.operator:
        return s, render(request, "message.html", s, status=403, title="Not allowed", message=OPERATORS_ONLY)
    if not _cfg(request).enabled:
        return s, render(request, "fleet.html", s, configured=False)
    return s, None


def _unavailable(request: Request, s, exc: FleetUnavailable, page: str = "fleet.html") -> Response:
    return render(request, page, s, status=503, configured=True, error=str(exc))


@router.get("/fleet")
def fleet_page(request: Request, since: str = "7d", until: str = "") -> Response:
    s, no = _operator(request)
    if no is not None:
        return no
    cfg = _cfg(request)
    now = _now(request)
    ctx: dict[str, Any] = {"configured": True, "since": since, "until": until, "stale_s": cfg.stale_s,
                           "stale_after": cfg.stale_after_intervals, "versions": service(request).store.versions()}
    try:
        start, end = queries.parse_period(since, until, now)
    except queries.QueryError as exc:
        start, end = queries.parse_period("7d", "", now)
        ctx["period_error"] = str(exc)
    try:
        with _db(cfg) as conn:
            items = queries.screens(conn, now, cfg.stale_s)
            ctx.update(screens=items, groups=queries.groups(items), rollouts=rollout.recent(conn),
                       by_creative=queries.report(conn, "creative", start, end),
                       by_site=queries.report(conn, "site", start, end), start=start, end=end)
    except FleetUnavailable as exc:
        return _unavailable(request, s, exc)
    return render(request, "fleet.html", s, **ctx)


@router.get("/fleet/screens/{screen_id}")
def screen_page(request: Request, screen_id: str) -> Response:
    s, no = _operator(request)
    if no is not None:
        return no
    cfg = _cfg(request)
    try:
        with _db(cfg) as conn:
            sc = queries.screen(conn, screen_id, _now(request), cfg.stale_s)
            plays = queries.recent_plays(conn, screen_id) if sc else []
    except FleetUnavailable as exc:
        return _unavailable(request, s, exc)
    if sc is None:
        return render(request, "message.html", s, status=404, title="No such screen",
                      message=f"No screen {screen_id[:64]!r} has been heard from.")
    done = "Tags saved." if request.query_params.get("done") == "tags" else None
    return render(request, "fleet_screen.html", s, sc=sc, plays=plays, done=done)


@router.post("/fleet/screens/{screen_id}/tags")
def screen_tags(request: Request, screen_id: str, tags: str = Form(""), csrf: str = Form("")) -> Response:
    s, no = _operator(request, csrf)
    if no is not None:
        return no
    try:
        wanted = queries.parse_tags(tags)
    except queries.QueryError as exc:
        return render(request, "message.html", s, status=422, title="Tags not saved", message=str(exc))
    try:
        with _db(_cfg(request)) as conn:
            if queries.screen(conn, screen_id, _now(request), 1.0) is None:
                return render(request, "message.html", s, status=404, title="No such screen",
                              message=f"No screen {screen_id[:64]!r} has been heard from.")
            queries.set_tags(conn, screen_id, wanted)
    except FleetUnavailable as exc:
        return _unavailable(request, s, exc)
    return RedirectResponse(f"/fleet/screens/{screen_id}?done=tags", 303)


@router.post("/fleet/rollouts")
def start_rollout(request: Request, version: str = Form(""), group: str = Form(""), csrf: str = Form("")) -> Response:
    s, no = _operator(request, csrf)
    if no is not None:
        return no
    svc = service(request)
    try:
        v = svc.store.get(version)
        queries.parse_group(group)
        with _db(_cfg(request)) as conn:
            rid = rollout.start(conn, _cfg(request), v, group, by=s.user, now=_now(request))
    except (StoreError, queries.QueryError, rollout.RolloutError) as exc:
        return render(request, "message.html", s, status=422, title="Rollout not started", message=str(exc))
    except FleetUnavailable as exc:
        return render(request, "message.html", s, status=503, title="Rollout not started", message=str(exc))
    svc.audit.record("fleet.rollout", account=s.user, outcome="ok", detail=f"{v.id} to {group} (rollout {rid})")
    return RedirectResponse(f"/fleet/rollouts/{rid}", 303)


@router.get("/fleet/rollouts/{rollout_id}")
def rollout_page(request: Request, rollout_id: int) -> Response:
    s, no = _operator(request)
    if no is not None:
        return no
    try:
        with _db(_cfg(request)) as conn:
            rep = rollout.report(conn, rollout_id)
    except FleetUnavailable as exc:
        return _unavailable(request, s, exc)
    if rep is None:
        return render(request, "message.html", s, status=404, title="No such rollout",
                      message=f"There is no rollout {rollout_id}.")
    return render(request, "rollout.html", s, rep=rep, now=_now(request))


def _lines(rows, columns: tuple[str, ...], fmt: str):
    """CSV (a header line, an empty cell for a null) or JSON Lines, a piece at a time."""
    return adlog.iter_jsonl(rows, columns) if fmt == "jsonl" else adlog.iter_csv(rows, columns)


EXPORT_MEDIA = {"csv": "text/csv", "jsonl": "application/x-ndjson"}
EXPORT_PER = ("play", "hour", "day", "creative", "site", "detail")


def _central_campaigns(request: Request):
    """The campaign lookup of the versions this admin holds, for plays a kiosk sent without one."""
    from signage.campaigns import index_for

    index, _problems = index_for((), service(request).settings)
    return index


@router.get("/fleet/export")
def export(request: Request, since: str = "7d", until: str = "", per: str = "play", format: str = "csv",
           tz: str = "", site: str = "", campaign: str = "") -> Response:
    """The fleet's proof of play from PostgreSQL: the ad log of docs/exports.md (per play, or
    per hour or day in each screen's zone or ``tz``), per creative or site, or every play with
    its version and reason (``detail``)."""
    s, no = _operator(request)
    if no is not None:
        return no
    try:
        if format not in EXPORT_MEDIA or per not in EXPORT_PER:
            raise queries.QueryError(f"per: {', '.join(repr(p) for p in EXPORT_PER)}; format: 'csv' or 'jsonl'")
        start, end = queries.parse_period(since, until, _now(request))
        zone = _zone(tz)
    except queries.QueryError as exc:
        return render(request, "message.html", s, status=422, title="No export", message=str(exc))
    name = f"fleet-{'ad-log' if per in ('play', 'hour', 'day') else 'proof-of-play'}-{per}.{format}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    cfg = _cfg(request)
    try:
        if per in queries.REPORT_BY:
            with _db(cfg) as conn:
                rows = queries.report(conn, per, start, end)
            rows_named = [{per: r["key"], **r} for r in rows]
            text = "".join(_lines(rows_named, (per, *queries.REPORT_COLUMNS), format))
            return Response(text, media_type=EXPORT_MEDIA[format], headers=headers)
        db = _db(cfg)
        conn = db.__enter__()  # opened now: a database away is a page, not a cut download
    except FleetUnavailable as exc:
        return _unavailable(request, s, exc)
    only = adlog_export.Only(site.strip() or None, campaign.strip() or None)
    if per == "detail":
        rows, columns = queries.play_rows(conn, start, end), queries.PLAY_COLUMNS
    elif per == "play":
        rows, columns = adlog_export.play_rows(conn, start, end, _central_campaigns(request), only), adlog.PLAY_COLUMNS
    else:
        rows = adlog_export.aggregate_rows(conn, start, end, per, zone, _central_campaigns(request), only)
        columns = adlog.AGGREGATE_COLUMNS

    def body():
        try:
            yield from _lines(rows, columns, format)
        finally:
            db.__exit__(None, None, None)

    return StreamingResponse(body(), media_type=EXPORT_MEDIA[format], headers=headers)


def _zone(name: str):
    """``tz``: an IANA zone, or "" for each screen's own."""
    try:
        return adlog_export.asked_zone(name)
    except ValueError as exc:
        raise queries.QueryError(f"tz {exc}") from None


def _hash_of(path) -> str:
    """The file's sha256, computed once per (path, size, mtime): versions never change."""
    st = path.stat()
    return _cached_hash(str(path), st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=4096)
def _cached_hash(path: str, size: int, mtime_ns: int) -> str:
    return rollout.file_sha256(Path(path))


@router.get("/fleet/content/{sha256}")
def content(request: Request, sha256: str) -> Response:
    """A file of a version that was rolled out, by its hash (what kiosks fetch; no login: the
    hash names one file of a manifest sent, nothing else is served)."""
    cfg = _cfg(request)
    if not cfg.enabled or not _SHA.match(sha256):
        return Response("not found", status_code=404, media_type="text/plain")
    try:
        with _db(cfg) as conn:
            row = conn.execute("SELECT r.version, f->>'path' FROM rollouts r, jsonb_array_elements(r.manifest->'files') f "
                               "WHERE f->>'sha256' = %s ORDER BY r.id DESC LIMIT 1", (sha256,)).fetchone()
    except FleetUnavailable:
        return Response("the fleet database cannot be reached", status_code=503, media_type="text/plain")
    if row is None:
        return Response("not found", status_code=404, media_type="text/plain")
    try:
        path = service(request).store.get(row[0]).path / row[1]
    except StoreError:
        return Response("not found (the version is no longer stored)", status_code=404, media_type="text/plain")
    if not path.is_file() or _hash_of(path) != sha256:
        return Response("not found", status_code=404, media_type="text/plain")
    return FileResponse(path, media_type="application/octet-stream")
