"""The glyph check: which characters of a playlist's text slides or of the notice no font here
can draw (``signage validate``, ``signage config``). Warnings only: the screen still plays."""

from __future__ import annotations

from signage.render import glyphs


def _field_warnings(fields: list[tuple[str, str | None]]) -> list[str]:
    out = []
    for name, text in fields:
        out += [glyphs.describe(name, ch) for ch in glyphs.missing(text or "")]
    return out


def playlist_warnings(playlist) -> list[str]:
    """One line per (text slide field, character) no installed font draws."""
    fields: list[tuple[str, str | None]] = []
    for i, c in enumerate(playlist.creatives):
        if getattr(c, "type", "") == "text":
            fields += [(f"creatives[{i}].headline", c.headline), (f"creatives[{i}].body", c.body)]
    return _field_warnings(fields)


def notice_warnings(notice) -> list[str]:
    """The same for the notice's configured words (every language, and the contact line)."""
    fields = [(f"notice.{k}", getattr(notice, k)) for k in ("controller", "contact", "url")]
    for lang in notice.languages:
        for key, text in notice.resolved_text(lang).items():
            fields.append((f"notice.text.{lang}.{key}", text))
    return _field_warnings(fields)


def safely(make) -> list[str]:
    """``make()``'s warnings, or one line saying the check could not run (never a traceback)."""
    try:
        return make()
    except Exception as exc:  # a missing pygame or unreadable font folder must not stop validate
        return [f"glyph check skipped: {type(exc).__name__}: {exc}"]
