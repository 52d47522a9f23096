"""[display], [notice] and [screen]: what the screen shows and who it is (docs/screen.md)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from signage.config.base import Strict


# ----------------------------------------------------------------------------- the screen

_HEX = "0123456789abcdefABCDEF"


def _hex_color(v: str) -> str:
    if not (isinstance(v, str) and len(v) == 7 and v[0] == "#" and all(c in _HEX for c in v[1:])):
        raise ValueError(f"a colour is #rrggbb, got {v!r}")
    return v.lower()


def _size(v: Any) -> Any:
    """Accept "1920x1080" as well as [1920, 1080]."""
    if isinstance(v, str):
        w, sep, h = v.lower().partition("x")
        if not sep or not w.strip().isdigit() or not h.strip().isdigit():
            raise ValueError(f"a size is WIDTHxHEIGHT, e.g. 1920x1080, got {v!r}")
        return (int(w), int(h))
    return v


class DisplayConfig(Strict):
    """The screen (signage/render); see README, "The screen"."""

    # SDL video driver. "auto": Wayland or X11 when a desktop session is there, else kmsdrm
    # (a Raspberry Pi or mini-PC booted to a console). "dummy" draws off screen (tests, CI).
    driver: Literal["auto", "kmsdrm", "wayland", "x11", "dummy"] = "auto"
    fullscreen: bool = True
    # Windowed: the window size. Fullscreen: the mode to ask for (None = the screen's own).
    size: tuple[int, int] | None = None
    # Degrees clockwise the picture is turned on the panel: 90 or 270 for a portrait screen
    # (a landscape panel mounted on its side). Creatives are laid out for the upright picture.
    rotation: Literal[0, 90, 180, 270] = 0
    # Who turns, scales and presents the composed picture: "gpu" = SDL's renderer (OpenGL or
    # OpenGL ES), "surface" = the CPU (OpenCV turns it, SDL copies it), "auto" = the GPU when SDL
    # has a renderer on one, else the CPU (SDL's dummy driver; OpenGL on Mesa's llvmpipe), said in
    # the log. "gpu" with no GPU renderer warns and uses the CPU (docs/screen.md, "Composition").
    compositor: Literal["auto", "gpu", "surface"] = "auto"
    # Frame-rate cap of the render loop (a video still plays at its own rate).
    fps: float = Field(60.0, ge=5, le=240)
    # Fullscreen only: let SDL wait for the panel's vertical blank when presenting a frame.
    vsync: bool = True
    hide_cursor: bool = True
    # The operator overlay (audience numbers and frame rates; never an image). Key O toggles it.
    show_overlay: bool = False
    # What fills the screen before the first creative is ready.
    idle_color: str = "#1c1512"
    # Escape stops the player (handy on a desktop); kiosks set false (kiosk/signage.toml).
    quit_key: bool = True

    @field_validator("size", mode="before")
    @classmethod
    def _parse_size(cls, v: Any) -> Any:
        return _size(v)

    @field_validator("rotation", mode="before")
    @classmethod
    def _rotation_from_text(cls, v: Any) -> Any:
        return int(v) if isinstance(v, str) and v.strip().isdigit() else v  # from the environment

    @field_validator("size")
    @classmethod
    def _size_range(cls, v: tuple[int, int] | None) -> tuple[int, int] | None:
        if v is not None and not (160 <= v[0] <= 16384 and 120 <= v[1] <= 16384):
            raise ValueError(f"size must be within 160x120 .. 16384x16384, got {v[0]}x{v[1]}")
        return v

    @field_validator("idle_color")
    @classmethod
    def _color(cls, v: str) -> str:
        return _hex_color(v)


class NoticeText(Strict):
    """The notice's words in one language. Unset fields take the built-in text (en, fr)."""

    camera_on: str | None = None  # the lead, in bold: what is happening
    purpose: str | None = None  # why, and what is not done
    camera_off: str | None = None  # said instead while the camera is off
    more: str | None = None  # beside the QR code: where to read the full notice
    object: str | None = None  # the right to object, and where to exercise it (EDPB Guidelines 3/2019)
    # said while a passer-by's pause runs (docs/objection.md); {until} is the end, HH:MM local time
    paused: str | None = Field(None, min_length=1, max_length=160)

    @field_validator("paused")
    @classmethod
    def _until(cls, v: str | None) -> str | None:
        rest = "" if v is None else v.replace("{until}", "")
        if v is not None and (v.count("{until}") != 1 or "{" in rest or "}" in rest):
            raise ValueError("the paused text holds {until} once (where the time goes) and no other braces")
        return v


# English and French, the first layer of a two-level notice (CNIL / EDPB guidance on video
# devices): who, why, what is not done, the right to object and where to exercise it (the
# contact line says who "us" is), where to read more. Short enough to read in passing.
DEFAULT_NOTICE_TEXT: dict[str, NoticeText] = {
    "en": NoticeText(
        camera_on="Camera on:",
        purpose="anonymous audience measurement to adapt what is shown. No image kept or sent; no one identified.",
        camera_off="Camera off: no audience measurement.",
        more="Full notice",
        object="To object, ask staff or write to us.",
        paused="Audience measurement paused until {until}.",
    ),
    "fr": NoticeText(
        camera_on="Caméra active\u00a0:",
        purpose="mesure d'audience anonyme pour adapter l'affichage\u00a0; ni image gardée, ni personne identifiée.",
        camera_off="Caméra éteinte\u00a0: aucune mesure d'audience.",
        more="Notice complète",
        object="Opposition\u00a0: demandez au personnel.",
        paused="Mesure d'audience suspendue jusqu'à {until}.",
    ),
}


class NoticeConfig(Strict):
    """The privacy notice drawn on every frame while the camera is on; no playlist can hide it."""

    # Who runs the screen (the data controller), a contact, and the full notice's address
    # (also drawn as a QR code). Set these for your site: the defaults are the demo café's.
    controller: str = Field("Café Lumière", min_length=1, max_length=80)
    contact: str = Field("privacy@cafe-lumiere.example", min_length=1, max_length=80)
    url: str = Field("https://cafe-lumiere.example/privacy", min_length=0, max_length=200)  # "": this kiosk's /privacy
    # Languages shown, one line each, in this order.
    languages: list[str] = Field(default_factory=lambda: ["en", "fr"], min_length=1, max_length=4)
    # Per-language words; a language other than en/fr must give all five fields (and should
    # give "paused", said while a passer-by's pause runs).
    text: dict[str, NoticeText] = Field(default_factory=dict)
    # With the camera off: "say" so on the screen, or "hide" the notice.
    camera_off: Literal["say", "hide"] = "say"
    position: Literal["bottom", "top"] = "bottom"
    qr: bool = True
    # Opacity of the dark panel behind the text (kept high enough for contrast over white).
    opacity: float = Field(0.88, ge=0.75, le=1.0)
    # Text size relative to the default (cap height about 22 px on a 1080-line screen).
    scale: float = Field(1.0, ge=1.0, le=2.0)

    @model_validator(mode="after")
    def _every_language_has_words(self) -> "NoticeConfig":
        for lang in self.languages:
            self.resolved_text(lang)
        return self

    def resolved_text(self, lang: str) -> dict[str, str]:
        """The five texts of ``lang``: configured fields over the built-in ones."""
        base = DEFAULT_NOTICE_TEXT.get(lang, NoticeText()).model_dump()
        given = self.text.get(lang, NoticeText()).model_dump(exclude_none=True)
        merged = {**base, **given}
        merged.pop("paused", None)  # optional: resolved_paused
        missing = [k for k, v in merged.items() if not v]
        if missing:
            raise ValueError(f"notice.text.{lang}: {', '.join(missing)} missing (no built-in text for {lang!r})")
        return merged


    def resolved_paused(self, lang: str) -> str:
        """What the notice says in ``lang`` while a passer-by's pause runs, ``{until}`` for HH:MM:
        configured, built in (en, fr), else the language's camera_off text and the time."""
        given = self.text.get(lang, NoticeText()).paused or DEFAULT_NOTICE_TEXT.get(lang, NoticeText()).paused
        return given or f"{self.resolved_text(lang)['camera_off']} ({{until}})"


class ScreenConfig(Strict):
    """Who this screen is: carried in every report and export (docs/reports.md)."""

    # Stable id of this screen in exports and the fleet; "" = the machine's host name.
    id: str = Field("", max_length=64, pattern=r"^[A-Za-z0-9._-]*$")
    site: str = Field("", max_length=80)  # shop or venue name, as buyers know it
    # OpenOOH venue taxonomy name (e.g. "retail.grocery"); "" = not set.
    venue_type: str = Field("", max_length=80)
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    size_in: float | None = Field(None, gt=0, le=1000)  # screen diagonal, inches
    # IANA time zone for reports and local-time rules ("" = the system's).
    timezone: str = Field("", max_length=64)

    @field_validator("venue_type")
    @classmethod
    def _venue_type(cls, v: str) -> str:
        from signage.identity import check_venue_type

        return check_venue_type(v)

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, v: str) -> str:
        from signage.identity import time_zone

        return v if v == "" else time_zone(v).key

    @model_validator(mode="after")
    def _position(self) -> ScreenConfig:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("latitude and longitude go together: set both or neither")
        return self
