"""The reports' pages: the report of a period, its chart and the proof-of-play downloads,
of one version and one campaign if asked (query ``version``, ``campaign``). An operator's
cover every play; an advertiser's only plays of their own versions (report_scope.py), and
another account's version is "no version ..." (404), as if it did not exist."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from signage.admin.access import Account
from signage.admin.owned import versions_for
from signage.admin.pages import allowed, render, service
from signage.admin.report_exports import export
from signage.admin.report_scope import scope_for
from signage.admin.reports import ReportUnavailable, chart_png, load_report, report_rows

__all__ = ["router", "scoped_report"]

router = APIRouter(include_in_schema=False)


@dataclass
class ReportQuery:
    """The query of every report page: the period, and the version and campaign filters."""

    since: str = "7d"
    until: str = ""
    tz: str = ""
    version: str = ""
    campaign: str = ""


Query = Annotated[ReportQuery, Depends()]


def scoped_report(request: Request, acc: Account, q: ReportQuery):
    """(report, zone) of the plays the account may see, filtered; ``ReportUnavailable`` otherwise."""
    svc = service(request)
    scope = scope_for(svc.settings, svc.store, acc, q.version or None, q.campaign or None)
    keep = None if scope.digests is None and not scope.campaign else scope.keeps
    return load_report(svc.settings.analytics.db_path, q.since or None, q.until or None, q.tz or None, keep)


@router.get("/reports")
def reports_page(request: Request, q: Query) -> Response:
    s, acc, no = allowed(request, "view_reports")
    if no is not None:
        return no
    ctx = {**asdict(q), "versions": versions_for(service(request).store, acc)}
    try:
        report, zone = scoped_report(request, acc, q)
    except ReportUnavailable as exc:
        return render(request, "reports.html", s, status=404 if q.version else 200, error=str(exc), **ctx)
    return render(request, "reports.html", s, rows=report_rows(report, zone), **ctx)


@router.get("/reports/chart.png")
def reports_chart(request: Request, q: Query) -> Response:
    _, acc, no = allowed(request, "view_reports")
    if no is not None:
        return no
    try:
        report, zone = scoped_report(request, acc, q)
    except ReportUnavailable as exc:
        return Response(str(exc), status_code=404, media_type="text/plain")
    if report.empty:
        return Response(status_code=204)
    return Response(chart_png(report, zone), media_type="image/png")


@router.get("/reports/export")
def reports_export(request: Request, q: Query, format: str = "csv", per: str = "play") -> Response:
    _, acc, no = allowed(request, "view_reports")
    if no is not None:
        return no
    svc = service(request)
    try:
        media, text = export(svc.settings, svc.store, fmt=format, per=per, since=q.since or None,
                             until=q.until or None, tz_name=q.tz or None, account=acc, version=q.version or None,
                             campaign=q.campaign or None)
    except ReportUnavailable as exc:
        return Response(str(exc), status_code=404, media_type="text/plain")
    name = f"proof-of-play-{per}{'-' + q.version if q.version else ''}.{format}"
    return Response(text, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})
