"""[fleet_admin]: the admin service's fleet view (docs/fleet.md, "Fleet view").

Off unless ``db`` is set: then the admin service shows /fleet (screens, health, audience,
reports from the collector's PostgreSQL) and, with a broker, starts rollouts of a version.
"""

from __future__ import annotations

from pydantic import Field, field_validator

from signage.config.base import Strict
from signage.config.fleet_central import split_address


class FleetAdminConfig(Strict):
    """The fleet's database, the broker rollouts are published on, and where kiosks fetch content."""

    # A libpq connection string or postgresql:// URL of the collector's database; "" = no fleet view.
    db: str = ""
    # The broker (HOST:PORT) and the user that may write signage/v1/+/+/cmd (docs/fleet.md: "central").
    broker: str = "127.0.0.1:1883"
    username: str = Field("central", min_length=1, max_length=128)
    password_file: str = ""  # its first line is the broker password; "" = none
    ca_file: str = ""  # TLS to the broker, trusting this CA file; "" = plain MQTT
    # Where kiosks fetch a version's files by hash (<content_base_url>/<sha256>), put in each
    # activate command; "" = the kiosks' own fleet.content_base_url.
    content_base_url: str = Field("", max_length=500, pattern=r"^(https?://.+)?$")
    # A screen whose last message is older than this many health intervals is shown "offline?".
    health_interval_s: float = Field(10.0, gt=0, le=86_400)
    stale_after_intervals: float = Field(3.0, ge=1, le=1000)
    connect_timeout_s: int = Field(5, ge=1, le=120)
    publish_timeout_s: float = Field(10.0, gt=0, le=600)

    @field_validator("broker")
    @classmethod
    def _address(cls, v: str) -> str:
        split_address(v)
        return v.strip()

    @property
    def enabled(self) -> bool:
        return bool(self.db.strip())

    @property
    def stale_s(self) -> float:
        return self.health_interval_s * self.stale_after_intervals
