"""`signage privacy`: the second layer of the notice as a static HTML file and the A4 poster
(PDF, or PNG to look at), from the configuration; with neither option the page goes to stdout."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

from signage.config import Settings


def add_privacy_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--html", metavar="FILE", help="write the privacy page (self-contained HTML) to FILE")
    p.add_argument("--poster", metavar="FILE", help="write the A4 poster to FILE (.pdf, or .png to look at)")


def _notice_ready(settings: Settings, command: str) -> bool:
    """False (said) when the notice still holds a placeholder; a warning for the demo's samples:
    these documents must name whoever really runs the screen."""
    from signage.notice_check import is_placeholder, notice_problems

    problems = notice_problems(settings.notice, kiosk=True)
    for line in problems:
        print(f"signage {command}: {'error' if 'placeholder' in line else 'warning'}: {line}", file=sys.stderr)
    return not any(is_placeholder(getattr(settings.notice, f)) for f in ("controller", "contact", "url"))


def _write_all(command: str, outputs: list[tuple[str, str, Callable[[], bytes]]]) -> int:
    """Each (label, path, make) written atomically and said; 1 with the reason when a file cannot be."""
    try:
        for label, path, make in outputs:
            _write(path, make())
            print(f"{label}: {path}")
    except OSError as exc:
        print(f"signage {command}: cannot write {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0


def _write(path: str, data: bytes) -> None:
    target = Path(path).expanduser()
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def run_privacy(args: argparse.Namespace, settings: Settings) -> int:
    from signage.disclosure.facts import facts
    from signage.disclosure.html import page_html

    if not _notice_ready(settings, "privacy"):
        return 2
    html = page_html(facts(settings))
    if not args.html and not args.poster:
        sys.stdout.write(html)
        return 0
    if args.poster and not args.poster.lower().endswith((".pdf", ".png")):
        print(f"signage privacy: --poster {args.poster}: the file name ends in .pdf or .png", file=sys.stderr)
        return 2
    return _write_all("privacy", ([("privacy page", args.html, html.encode)] if args.html else [])
                      + ([("poster", args.poster, lambda: _poster(settings, args.poster))] if args.poster else []))


def _poster(settings: Settings, path: str) -> bytes:
    from signage.disclosure.poster import poster_pdf, poster_surface

    if path.lower().endswith(".pdf"):
        return poster_pdf(settings)
    import io

    import pygame

    buf = io.BytesIO()
    pygame.image.save(poster_surface(settings), buf, "poster.png")  # the poster drawn, never a camera frame
    return buf.getvalue()


def add_dpia_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--md", metavar="FILE", help="write the draft as Markdown to FILE (to edit)")
    p.add_argument("--pdf", metavar="FILE", help="write the draft as PDF to FILE (to file)")


def run_dpia(args: argparse.Namespace, settings: Settings) -> int:
    import datetime

    from signage.disclosure.dpia import draft

    if not _notice_ready(settings, "dpia"):
        return 2
    md = draft(settings, datetime.date.today().isoformat())
    if not args.md and not args.pdf:
        sys.stdout.write(md)
        return 0

    def pdf() -> bytes:
        from signage.disclosure.textpdf import markdown_pdf

        return markdown_pdf(md, title=f"DPIA draft: {settings.notice.controller}")

    rc = _write_all("dpia", ([("DPIA draft", args.md, md.encode)] if args.md else [])
                    + ([("DPIA draft", args.pdf, pdf)] if args.pdf else []))
    if rc == 0:
        print("parts marked [OPERATOR: ...] are yours to answer", file=sys.stderr)
    return rc
