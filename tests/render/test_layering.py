"""The renderer meets the other layers only through signage.values and signage.config."""

import ast
from pathlib import Path

RENDER = Path(__file__).resolve().parents[2] / "signage" / "render"


def test_render_imports_no_other_layer():
    allowed = ("signage.config", "signage.values", "signage.render")
    found = {}
    for f in sorted(RENDER.glob("*.py")):
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for n in names:
                if n.startswith("signage") and not n.startswith(allowed):
                    found.setdefault(f.name, []).append(n)
    assert len(list(RENDER.glob("*.py"))) >= 8
    assert found == {}, f"render reaches into another layer: {found}"


def test_nothing_a_playlist_says_reaches_the_notice():
    """The notice is built from NoticeConfig only: no CreativeSpec field or Screen call hides it
    while the camera is on (the camera state is the only switch, and only when off)."""
    from signage.render.overlay import PrivacyNotice
    from signage.render.screen import Screen
    from signage.values import CreativeSpec

    assert not any("notice" in f or "privacy" in f for f in CreativeSpec.__slots__)
    public = [m for m in dir(Screen) if not m.startswith("_")]
    assert not any("notice" in m or "hide" in m for m in public), public
    from signage.config import NoticeConfig

    for off in ("say", "hide"):
        for position in ("bottom", "top"):
            assert PrivacyNotice(NoticeConfig(camera_off=off, position=position)).visible(camera_on=True)
    assert not PrivacyNotice(NoticeConfig(camera_off="hide")).visible(camera_on=False)
