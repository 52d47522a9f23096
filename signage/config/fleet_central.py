"""The fleet's central side: the collector's settings (``signage fleet collect``; docs/fleet.md)."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from signage.config.base import Strict


def split_address(value: str, default_port: int = 1883) -> tuple[str, int]:
    """``HOST:PORT`` (or ``HOST``, or ``[v6]:PORT``) as (host, port); ValueError saying why."""
    value = value.strip()
    if not value:
        raise ValueError("empty; HOST:PORT expected")
    if value.startswith("["):
        host, sep, rest = value[1:].partition("]")
        port_s = rest[1:] if rest.startswith(":") else ""
        if not sep or (rest and not rest.startswith(":")):
            raise ValueError(f"{value!r}: [IPv6]:PORT expected")
    elif value.count(":") == 1:
        host, port_s = value.split(":")
    elif ":" in value:
        raise ValueError(f"{value!r}: write an IPv6 address as [ADDRESS]:PORT")
    else:
        host, port_s = value, ""
    if not host:
        raise ValueError(f"{value!r}: no host")
    if not port_s:
        return host, default_port
    if not port_s.isdigit() or not 1 <= int(port_s) <= 65535:
        raise ValueError(f"{value!r}: the port must be a number from 1 to 65535")
    return host, int(port_s)


class CollectorConfig(Strict):
    """Broker -> PostgreSQL. Every field is a ``signage fleet collect`` option (docs/fleet.md)."""

    broker: str = "127.0.0.1:1883"  # HOST:PORT of the MQTT broker
    username: str = Field("collector", min_length=1, max_length=128)
    password_file: str = ""  # a file holding the broker password (its first line); empty: none
    ca_file: str = ""  # TLS to the broker, trusting this CA file; empty: plain MQTT (loopback or a VPN)
    client_id: str = Field("signage-collector", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    keepalive_s: int = Field(30, ge=5, le=3600)
    reconnect_min_s: int = Field(1, ge=1, le=600)
    reconnect_max_s: int = Field(30, ge=1, le=3600)
    db: str = Field("dbname=signage", min_length=1)  # a libpq connection string or postgresql:// URL
    batch_size: int = Field(500, ge=1, le=100_000)  # records per transaction at most
    batch_wait_s: float = Field(0.2, ge=0.0, le=60.0)  # how long a batch waits to fill
    queue_size: int = Field(10_000, ge=10, le=1_000_000)  # received, not yet written (then the broker waits)
    retention_days: float = Field(400.0, gt=0, le=100 * 365)  # plays, minutes, acks, rejections older: deleted
    purge_every_s: float = Field(3600.0, ge=1.0)

    @field_validator("broker")
    @classmethod
    def _address(cls, v: str) -> str:
        split_address(v)
        return v.strip()

    @model_validator(mode="after")
    def _backoff(self) -> CollectorConfig:
        if self.reconnect_max_s < self.reconnect_min_s:
            raise ValueError("reconnect_max_s must be at least reconnect_min_s")
        return self

    @property
    def broker_host(self) -> str:
        return split_address(self.broker)[0]

    @property
    def broker_port(self) -> int:
        return split_address(self.broker)[1]
