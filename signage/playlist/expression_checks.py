"""Warnings for a screen with expressions off (``sensing.expressions = "off"``, docs/privacy.md):
a rule that tests smile_ratio or surprise_ratio can never fire there (the figure is unknown, as
with the camera off), and ``measured`` (faces whose expression is read) is always 0."""

from __future__ import annotations

from signage.playlist.schema import Playlist

EXPRESSION_METRICS = ("smile_ratio", "surprise_ratio")


def expressions_off_warnings(playlist: Playlist) -> list[str]:
    out = []
    for rule in playlist.rules:
        used = rule.when.metrics_used()
        tests = [m for m in EXPRESSION_METRICS if m in used]
        if tests:
            out.append(f"rule {rule.id!r} tests {' and '.join(tests)}, which this screen never measures "
                       "(sensing.expressions = \"off\"): the test is unknown there and the rule can never fire")
        elif "measured" in used:
            out.append(f"rule {rule.id!r} tests measured, which is always 0 on this screen "
                       "(sensing.expressions = \"off\": no face's expression is read)")
    return out
