"""[fleet]: the kiosk's agent on the fleet's MQTT broker (docs/fleet.md, "Kiosk agent")."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from signage.config.base import Strict
from signage.fleet.messages import ID_PATTERN


def _fleet_id(v: str) -> str:
    if v and not re.fullmatch(ID_PATTERN, v):
        raise ValueError(f"{v[:70]!r} is not a fleet id: 1 to 64 lower-case letters, digits, '-' or '_', "
                         "starting with a letter or digit (it is a topic level and the broker user name)")
    return v


FleetId = Annotated[str, Field(max_length=64), AfterValidator(_fleet_id)]


class FleetTls(Strict):
    """How the agent talks to the broker: TLS (``mode = "tls"``, the default) checks the broker's
    certificate against ``ca_file``; ``"plain"`` is for a broker on this machine or at the end of
    a reverse tunnel (ssh -L / WireGuard) only, and is refused for any other host."""

    mode: Literal["tls", "plain"] = "tls"
    ca_file: str = ""  # the CA that signed the broker's certificate (PEM)
    cert_file: str = ""  # optional client certificate (PEM) ...
    key_file: str = ""  # ... and its key; both or neither

    @model_validator(mode="after")
    def _files(self) -> FleetTls:
        if bool(self.cert_file) != bool(self.key_file):
            raise ValueError("cert_file and key_file go together: set both or neither")
        return self


_LOOPBACK = ("localhost", "127.0.0.1", "::1")


class FleetConfig(Strict):
    """The fleet agent: optional, off by default; the player plays exactly as without it when
    the broker is away."""

    enabled: bool = False
    broker_host: str = Field("", max_length=253, pattern=r"^[A-Za-z0-9.:_-]*$")
    broker_port: int = Field(8883, ge=1, le=65535)
    tls: FleetTls = FleetTls()
    # Per-screen credentials on the broker: the user name is the screen id; the password is the
    # first line of this file (kept out of the configuration, readable by the player only).
    password_file: str = ""
    site: FleetId = ""  # the shop's id in topics (signage/v1/<site>/<screen>/...)
    screen: FleetId = ""  # this screen's id: also its user name on the broker
    # Health is published this often (the status file's facts).
    health_s: float = Field(10.0, ge=1.0, le=3600)
    # The records waiting to go (SQLite); "" = fleet-outbox.db beside the analytics database.
    outbox_path: str = ""
    # Where content files are fetched from by hash (<base_url>/<sha256>); a command's own
    # base_url wins. "" = commands must give one.
    content_base_url: str = Field("", max_length=500, pattern=r"^(https?://.+)?$")
    # Records kept waiting at most; past it the oldest minute records are dropped (counted in
    # the log). Plays are never dropped: they are invoiced (docs/fleet.md).
    max_backlog: int = Field(100_000, ge=10, le=10_000_000)
    # Reconnect back-off: from 1 s, doubling up to this. A refused connection costs the broker
    # little; a long ceiling makes a kiosk wait long after a broker outage ends (bench/fleet.py:
    # a 40 s outage, p99 delay after it 22.5 s with 60 s here, 1.7 s with 5 s).
    reconnect_max_s: float = Field(8.0, ge=1.0, le=3600)
    keepalive_s: int = Field(30, ge=5, le=3600)

    @model_validator(mode="after")
    def _usable(self) -> FleetConfig:
        if not self.enabled:
            return self
        for key in ("site", "screen", "broker_host"):
            if not getattr(self, key):
                raise ValueError(f"{key} is needed when the fleet agent is enabled")
        if not self.password_file:
            raise ValueError("password_file is needed when the fleet agent is enabled (the screen's broker password)")
        if self.tls.mode == "tls" and not self.tls.ca_file:
            raise ValueError("tls.ca_file is needed with tls.mode = \"tls\" (the CA of the broker's certificate)")
        if self.tls.mode == "plain" and self.broker_host not in _LOOPBACK:
            raise ValueError(f"tls.mode = \"plain\" is for a broker on this machine or a reverse tunnel only "
                             f"(broker_host {', '.join(_LOOPBACK)}), not {self.broker_host!r}: use TLS")
        return self
