"""What the privacy page says, read off the configuration: pure, one value object."""

from __future__ import annotations

from dataclasses import dataclass

from signage.config import Settings


@dataclass(frozen=True)
class Facts:
    controller: str
    contact: str
    address: str
    dpo: str
    authority: str
    authority_url: str
    page_url: str
    languages: tuple[str, ...]
    camera: bool  # the camera is enabled at all
    expressions: bool  # smile and surprise looks are measured
    zones: tuple[str, ...]  # names of the exclusion zones
    pause_min: int | None  # a passer-by's pause, minutes (None: no pause configured)
    pause_button: bool  # a button or key by the screen (else staff pause it from the admin service)
    retention_days: int
    fleet: bool  # aggregates go to the operator's central server
    version: str


def _expressions(settings: Settings) -> bool:
    value = getattr(settings.sensing, "expressions", "on")
    return value not in ("off", False)


def _zones(settings: Settings) -> tuple[str, ...]:
    zones = getattr(settings.sensing, "zones", None) or ()
    return tuple(getattr(z, "name", "") or f"zone {i + 1}" for i, z in enumerate(zones))


def _pause(settings: Settings) -> int | None:
    pause = getattr(settings, "pause", None)
    if pause is None or not getattr(pause, "enabled", True):
        return None
    minutes = getattr(pause, "duration_min", None)
    return int(minutes) if minutes else None


def _pause_button(settings: Settings) -> bool:
    pause = getattr(settings, "pause", None)
    return pause is not None and (getattr(pause, "gpio_pin", None) is not None or bool(getattr(pause, "keys", None)))


def page_url(settings: Settings) -> str:
    """Where passers-by read the second layer: privacy.page_url, else the notice's URL."""
    return settings.privacy.page_url or settings.notice.url


def facts(settings: Settings) -> Facts:
    from signage import __version__

    fleet = getattr(settings, "fleet", None)
    return Facts(
        controller=settings.notice.controller,
        contact=settings.notice.contact,
        address=settings.privacy.controller_address,
        dpo=settings.privacy.dpo,
        authority=settings.privacy.authority,
        authority_url=settings.privacy.authority_url,
        page_url=page_url(settings),
        languages=tuple(settings.notice.languages),
        camera=settings.camera.enabled,
        expressions=_expressions(settings),
        zones=_zones(settings),
        pause_min=_pause(settings),
        pause_button=_pause_button(settings),
        retention_days=settings.analytics.retention_days,
        fleet=bool(fleet is not None and getattr(fleet, "enabled", False)),
        version=__version__,
    )
