"""The process that draws a version's creatives as the screen does (``signage preview``'s
renderer), run by ``previews.py``: never in the admin server's own process.

``python -m signage.admin.preview_worker`` reads one JSON job on standard input::

    {"playlist": ".../versions/<id>/playlist.yaml", "out": ".../tmp/preview-...",
     "display": {...DisplayConfig...}, "notice": {...NoticeConfig...}, "camera_on": true,
     "thumb_width": 320}

and writes into ``out``: ``c<n>.png`` (the full frame, at the screen's size, upright),
``c<n>-thumb.png`` and ``manifest.json`` (one entry per creative: id, kind, files, or the
reason it could not be drawn). SDL runs with its dummy video and audio drivers: no window,
no sound device. The process lowers its own priority first, so the player keeps the CPU.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"


def _frame_time(spec: Any) -> float:
    """A video's moment to show: its middle, at most 3 s in (0 for pictures and slides)."""
    return min(spec.duration_s / 2.0, 3.0) if spec.kind == "video" else 0.0


def render_all(job: dict[str, Any]) -> list[dict[str, Any]]:
    os.environ["SDL_VIDEODRIVER"] = "dummy"
    os.environ["SDL_AUDIODRIVER"] = "dummy"
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame

    from signage.config import DisplayConfig, NoticeConfig, PlaylistLimits
    from signage.playlist.loader import PlaylistError, load_playlist
    from signage.render.fit_check import preview_warnings
    from signage.render.preview import PreviewError, render_preview

    out = Path(job["out"])
    playlist = Path(job["playlist"])
    display = DisplayConfig.model_validate({**job.get("display", {}), "driver": "dummy", "fullscreen": False})
    notice = NoticeConfig.model_validate(job.get("notice", {}))
    limits = PlaylistLimits.model_validate(job.get("limits", {}))
    thumb_w = int(job.get("thumb_width", 320))
    try:
        loaded = load_playlist(playlist, limits, confine_to=playlist.parent if job.get("confine", True) else None)
    except PlaylistError as exc:
        return [{"id": None, "error": exc.format().splitlines()[0].replace(str(playlist.parent) + os.sep, "")}]
    entries = []
    for n, c in enumerate(loaded.playlist.creatives):
        entry: dict[str, Any] = {"id": c.id, "kind": c.type}
        full, thumb = f"c{n}.png", f"c{n}-thumb.png"
        try:
            spec = loaded.spec(c.id)
            entry["at_s"] = _frame_time(spec)
            render_preview(spec, out / full, display=display, notice=notice, camera_on=bool(job.get("camera_on", True)),
                           at=entry["at_s"])
            img = pygame.image.load(str(out / full))
            w, h = img.get_size()
            tw = min(thumb_w, w)
            th = max(1, round(h * tw / w))
            pygame.image.save(pygame.transform.smoothscale(img, (tw, th)), str(out / thumb))
            entry.update(full=full, thumb=thumb, width=w, height=h, thumb_width=tw, thumb_height=th)
            # what the notice covers of a full-bleed picture, what fill crops (file names only)
            entry["warnings"] = preview_warnings(spec, (w, h), notice)
        except (PreviewError, pygame.error, OSError, ValueError) as exc:
            # the renderer's messages name the file by its absolute path: keep the bundle's name only
            entry["error"] = str(exc).replace(str(playlist.parent) + os.sep, "")
        entries.append(entry)
    return entries


def main() -> int:
    try:
        os.nice(10)
    except OSError:
        pass
    job = json.loads(sys.stdin.read())
    out = Path(job["out"])
    out.mkdir(parents=True, exist_ok=True)
    entries = render_all(job)
    (out / MANIFEST).write_text(json.dumps({"creatives": entries}, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
