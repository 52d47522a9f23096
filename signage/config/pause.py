"""[pause]: a passer-by's objection, audience measurement paused for a while (docs/objection.md)."""

from __future__ import annotations

import os
import re

from pydantic import Field, field_validator

from signage.config.base import Strict

ANY_KEY = "any"
_KEY_NAME = re.compile(r"[a-z0-9_]{1,20}")


def key_code(name: str) -> int:
    """The pygame key code of a key name (pygame's ``K_`` constant without the prefix, any case:
    "space", "return", "kp_enter", "p", "f12"); ValueError naming the form otherwise."""
    n = name.strip().lower()
    code = None
    if _KEY_NAME.fullmatch(n):
        os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
        import pygame  # only for a named key: its constants are the names

        code = getattr(pygame, f"K_{n}", None) or getattr(pygame, f"K_{n.upper()}", None)  # K_a, K_SPACE
    if not isinstance(code, int):
        raise ValueError(f"unknown key {name!r}: write \"any\" or a pygame key name such as "
                         "\"space\", \"return\", \"kp_enter\", \"p\" or \"f12\"")
    return code


class PauseConfig(Strict):
    """The objection: a key, a button or the admin service pauses audience measurement.

    While paused the camera is closed, the notice says until when, and no audience rule fires."""

    # How long one press pauses measurement; a press while paused starts the full time again.
    duration_min: int = Field(15, ge=1, le=240)
    # Keys of a USB keypad that pause: "any" (every key the player does not use already: O
    # toggles the operator overlay, Escape stops a desktop player), or pygame key names.
    # [] = no key pauses (a kiosk with a keyboard staff use for something else).
    keys: list[str] = Field(default_factory=lambda: [ANY_KEY], max_length=32)
    # A push button between this GPIO pin (BCM number) and ground, on a Raspberry Pi, read with
    # gpiozero (installed separately: apt install python3-gpiozero). None: no button.
    gpio_pin: int | None = Field(None, ge=0, le=27)
    # The file the admin service writes a staff pause into, and the player watches every second.
    # Empty: pause.json beside the player's status file (health.status_file), on tmpfs.
    file: str = Field("", max_length=4096)

    @field_validator("keys")
    @classmethod
    def _keys(cls, v: list[str]) -> list[str]:
        out = []
        for name in v:
            if not isinstance(name, str) or not name.strip():
                raise ValueError("a key name cannot be empty")
            n = name.strip().lower()
            if n != ANY_KEY:
                key_code(n)
            out.append(n)
        if ANY_KEY in out and len(out) > 1:
            raise ValueError('"any" already covers every key: list it alone')
        return out
