"""The base of every config section, and small value helpers shared by sections."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """Base of every config section: unknown keys are an error, values are checked on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


_PICAMERA2 = re.compile(r"picamera2(?::(\d+))?")


def picamera2_number(source: int | str) -> int | None:
    """The camera number of a picamera2 source ("picamera2" is 0, "picamera2:1" is 1), else None."""
    m = _PICAMERA2.fullmatch(source) if isinstance(source, str) else None
    return None if m is None else int(m.group(1) or 0)
