"""A loaded playlist, the result of every check: ``LoadedPlaylist`` holds the validated
playlist, its resolved assets and warnings, and says what the screen needs to draw each
creative (``spec``) and what ``signage validate`` prints about it (``summary``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from signage.playlist.assets import AssetInfo
from signage.playlist.errors import Problem
from signage.playlist.schema import Playlist, TextCreative
from signage.playlist.share import describe_share
from signage.values import CreativeSpec, TransitionSpec


@dataclass(frozen=True)
class LoadedPlaylist:
    """A playlist that passed every check, ready to play."""

    playlist: Playlist
    path: Path
    digest: str  # changes when the file or any asset it uses changes
    # by creative id (text: its background image); a portrait variant (portrait_source,
    # portrait_background_image) under "<id>:portrait"
    assets: dict[str, AssetInfo] = field(default_factory=dict)
    warnings: tuple[Problem, ...] = ()

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    def spec(self, creative_id: str) -> CreativeSpec:
        """What the screen needs to draw one creative (absolute paths)."""
        c = self.playlist.creative(creative_id)
        d = self.playlist.defaults
        t = c.transition or d.transition
        common = dict(id=c.id, duration_s=self.playlist.duration_of(c.id), fit=c.fit or d.fit,
                      transition=TransitionSpec(kind=t.type, duration_s=t.duration))
        info, portrait = self.assets.get(c.id), self.assets.get(f"{c.id}:portrait")
        if isinstance(c, TextCreative):
            return CreativeSpec(kind="text", headline=c.headline, body=c.body, color=c.color, background=c.background,
                                accent=c.accent, align=c.align, full_bleed=c.full_bleed,
                                background_image=str(info.path) if info else None,
                                portrait_background_image=str(portrait.path) if portrait else None, **common)
        return CreativeSpec(kind=c.type, path=str(info.path) if info else str(self.base_dir / c.source),
                            background=c.background or "#000000", full_bleed=c.full_bleed,
                            portrait_path=str(portrait.path) if portrait else
                            (str(self.base_dir / c.portrait_source) if c.portrait_source else None), **common)

    def summary(self) -> str:
        p = self.playlist
        kinds: dict[str, int] = {}
        for c in p.creatives:
            kinds[c.type] = kinds.get(c.type, 0) + 1
        kinds_txt = ", ".join(f"{n} {k}{'s' if n != 1 else ''}" for k, n in kinds.items())
        loop_s = sum(p.duration_of(cid) for cid in p.loop)
        lines = [
            f"{self.path}: valid — {p.name!r}",
            f"  {len(p.creatives)} creatives ({kinds_txt}); loop of {len(p.loop)} lasting {_fmt_s(loop_s)}; "
            f"{len(p.rules)} rule{'s' if len(p.rules) != 1 else ''}"
            + (f"; campaign {p.campaign.from_} to {p.campaign.to}" if p.campaign else "")
            + (f"; {len(p.campaigns)} campaign line{'s' if len(p.campaigns) != 1 else ''}" if p.campaigns else "")
            + (f"; time zone {p.timezone}" if p.timezone else "")
            + ("; weights share screen time" if p.share_of_voice == "time" else ""),
        ]
        for r in p.rules:
            lines.append(f"  rule {r.id}: priority {r.priority}, plays {', '.join(r.creatives)}"
                         + (f", share {describe_share(r.share)} of the screen time" if r.share is not None else "")
                         + (", may interrupt" if r.interrupt else "") + ("" if r.enabled else " (disabled)"))
        for w in self.warnings:
            lines.append("  warning: " + w.format(str(self.path)))
        return "\n".join(lines)


def _fmt_s(s: float) -> str:
    s = round(s)
    return f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s"
