"""Pure math from face landmarks to anonymous scalars (pose, smile, mouth open, brow raise).

Nothing here keeps state or does I/O. The analyzer calls these functions on the
landmark array, and only their scalar results leave the analyzer.
"""

from __future__ import annotations

from signage.config import ExpressionConfig
from signage.sensing.types import Expression


def classify_expression(
    smile: float, mouth_open: float, brow_raise: float, cfg: ExpressionConfig
) -> Expression:
    """The readily apparent expression label: smile wins over surprise, else neutral."""
    if smile >= cfg.smile_threshold:
        return "smile"
    if mouth_open >= cfg.surprise_mouth_open and brow_raise >= cfg.surprise_brow_raise:
        return "surprise"
    return "neutral"
