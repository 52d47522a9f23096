"""Settings (every section) and load_settings: sources, precedence and the error messages."""

from __future__ import annotations

import os
import re
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)

from signage.config.admin import AdminConfig
from signage.config.fleet_admin import FleetAdminConfig
from signage.config.pause import PauseConfig
from signage.config.privacy import PrivacyConfig
from signage.config.player import AnalyticsConfig, HealthConfig, PlayerConfig, PlaylistLimits
from signage.config.screen import DisplayConfig, NoticeConfig, ScreenConfig
from signage.config.sensing import CameraConfig, SensingConfig
from signage.config.fleet import FleetConfig


class Settings(BaseSettings):
    """All of signage's knobs. See module docstring for sources and precedence."""

    model_config = SettingsConfigDict(
        env_prefix="SIGNAGE_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="forbid",
        validate_assignment=True,
    )

    log_level: str = "INFO"
    camera: CameraConfig = CameraConfig()
    sensing: SensingConfig = SensingConfig()
    playlist: PlaylistLimits = PlaylistLimits()
    analytics: AnalyticsConfig = AnalyticsConfig()
    display: DisplayConfig = DisplayConfig()
    notice: NoticeConfig = NoticeConfig()
    player: PlayerConfig = PlayerConfig()
    health: HealthConfig = HealthConfig()
    admin: AdminConfig = AdminConfig()
    privacy: PrivacyConfig = PrivacyConfig()
    screen: ScreenConfig = ScreenConfig()
    fleet: FleetConfig = FleetConfig()
    fleet_admin: FleetAdminConfig = FleetAdminConfig()
    pause: PauseConfig = PauseConfig()

    @field_validator("log_level")
    @classmethod
    def _level(cls, v: str) -> str:
        v = v.upper()
        if v not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return v

    @model_validator(mode="after")
    def _notice_points_somewhere(self) -> "Settings":
        """No external notice URL: the QR code and the line beside it point to the second layer
        (privacy.page_url, else the admin service's own /privacy page on this kiosk)."""
        if not self.notice.url:
            self.__dict__["notice"] = self.notice.model_copy(update={"url": self.privacy.page_url or own_privacy_url(self.admin)})
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, _EnvSource(settings_cls), dotenv_settings]
        toml_path = _CONFIG_FILE.get("path")
        if toml_path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_path))
        return tuple(sources)


_CONFIG_FILE: dict[str, Path | None] = {"path": None}


def own_privacy_url(admin: AdminConfig) -> str:
    """The admin service's /privacy page as a phone on the shop's network reaches it: its
    address, or this machine's mDNS name when it listens on every or only the loopback address."""
    import socket

    host = admin.host
    if host in ("", "0.0.0.0", "::", "127.0.0.1", "localhost", "::1"):
        host = f"{socket.gethostname()}.local"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{admin.port}/privacy"


def _list_of_scalars(ann: Any) -> bool:
    """list[str], tuple[int, int], ... (optionally | None): a value a person writes as a,b."""
    args = [a for a in typing.get_args(ann) if a is not type(None)] if typing.get_origin(ann) in (typing.Union,
                                                                                                  getattr(__import__("types"), "UnionType", None)) else [ann]
    return len(args) == 1 and typing.get_origin(args[0]) in (list, tuple) and all(
        a in (str, int, float, Ellipsis) for a in typing.get_args(args[0]))


class _EnvSource(EnvSettingsSource):
    """Environment variables, where a list may also be written as comma-separated words
    (``SIGNAGE_NOTICE__LANGUAGES=en,fr``, the natural form of a systemd ``Environment=`` line)
    as well as in JSON (``["en", "fr"]``)."""

    def decode_complex_value(self, field_name: str, field: Any, value: Any) -> Any:
        try:
            return super().decode_complex_value(field_name, field, value)
        except ValueError:
            if field is not None and isinstance(value, str) and _list_of_scalars(field.annotation):
                return [part.strip() for part in value.split(",") if part.strip()]
            raise


class ConfigError(Exception):
    """A configuration that cannot be used; the message names the source, key path and reason."""


_TOML_KEY = re.compile(r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=""")
_TOML_TABLE = re.compile(r"""^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$""")


def _toml_parts(dotted: str) -> list[str]:
    return [p.strip().strip("\"'") for p in re.findall(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""", dotted)]


def toml_lines(text: str) -> dict[str, int]:
    """The 1-based line of each key path (``display.fps``) and table in TOML text, for
    messages. A light scan, not a parser: multi-line strings may hide a key; then the message
    just has no line."""
    out: dict[str, int] = {}
    table: list[str] = []
    for n, line in enumerate(text.splitlines(), 1):
        m = _TOML_TABLE.match(line)
        if m:
            table = _toml_parts(m.group(1))
            out.setdefault(".".join(table), n)
            continue
        m = _TOML_KEY.match(line)
        if m:
            out.setdefault(".".join(table + _toml_parts(m.group(1))), n)
    return out


def _format_errors(err: ValidationError, origin: str, file_lines: dict[str, int] | None = None) -> str:
    lines = [f"invalid configuration ({origin}):"]
    env = {name[len("SIGNAGE_"):].lower().replace("__", "."): name for name in os.environ
           if name.upper().startswith("SIGNAGE_") and name.upper() != "SIGNAGE_CONFIG"}
    for e in err.errors():
        path = ".".join(str(p) for p in e["loc"]) or "(top level)"
        reason = "unknown key" if e["type"] == "extra_forbidden" else e["msg"]
        # the variables that set this part of the configuration, if any did
        names = sorted(n for k, n in env.items() if k == path or k.startswith(path + ".") or path.startswith(k + "."))
        where = ""
        if not names and file_lines:
            parts = path.split(".")
            while parts and ".".join(parts) not in file_lines:
                parts.pop()
            if parts:
                where = f"line {file_lines['.'.join(parts)]}: "
        lines.append(f"  {where}{path}: {reason}" + (f" (from {', '.join(names)})" if names else ""))
    return "\n".join(lines)


def _unknown_env_keys(environ: Mapping[str, str]) -> list[str]:
    """Paths of SIGNAGE_* variables that name no setting (pydantic-settings ignores them silently)."""
    bad = []
    for name in environ:
        if not name.upper().startswith("SIGNAGE_") or name.upper() == "SIGNAGE_CONFIG":
            continue
        model: type[BaseModel] | None = Settings
        parts = name[len("SIGNAGE_"):].lower().split("__")
        keyed = False  # the previous part was a mapping: this part is one of its keys
        for part in parts:
            if keyed:
                keyed = False
                continue
            if model is None or part not in model.model_fields:
                bad.append(".".join(parts))
                break
            ann = model.model_fields[part].annotation
            if typing.get_origin(ann) is dict:  # e.g. notice.text.<language>.<field>
                keyed = True
                ann = typing.get_args(ann)[1]
            model = ann if isinstance(ann, type) and issubclass(ann, BaseModel) else None
    return bad


def load_settings(config_file: str | os.PathLike[str] | None = None, **overrides: Any) -> Settings:
    """Build Settings from (in priority order) overrides, env, .env and the TOML file.

    The TOML file is ``config_file`` or else ``$SIGNAGE_CONFIG``; a named file that
    does not exist is an error. Raises ConfigError with every problem listed.
    """
    path = config_file or os.environ.get("SIGNAGE_CONFIG")
    origin = "environment"
    if path:
        p = Path(path)
        try:
            found = p.is_file()
        except (OSError, ValueError) as exc:  # a name too long, a NUL byte
            raise ConfigError(f"config file {str(p)[:80]}...: cannot be used ({getattr(exc, 'strerror', None) or exc})") from None
        if not found:
            raise ConfigError(f"config file {p}: not found")
        origin = f"config file {p} and environment"
        try:
            import tomllib

            text = p.read_bytes().decode("utf-8")  # as the TOML source reads it: a lone CR stays one
            file_lines = toml_lines(text)
            tomllib.loads(text)
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise ConfigError(f"config file {p}: not valid TOML: {exc}") from exc
        _CONFIG_FILE["path"] = p
    else:
        _CONFIG_FILE["path"] = None
        file_lines = {}
    unknown = _unknown_env_keys(os.environ)
    if unknown:
        raise ConfigError(
            "invalid configuration (environment):\n"
            + "\n".join(f"  {k}: unknown key (from SIGNAGE_{k.upper().replace('.', '__')})" for k in unknown)
        )
    try:
        # SIGNAGE_CONFIG names the file; it is not itself a setting.
        env_backup = os.environ.pop("SIGNAGE_CONFIG", None)
        try:
            return Settings(**overrides)
        finally:
            if env_backup is not None:
                os.environ["SIGNAGE_CONFIG"] = env_backup
    except ValidationError as exc:
        raise ConfigError(_format_errors(exc, origin, file_lines)) from None
    except SettingsError as exc:
        raise ConfigError(_env_decoding_error(exc, os.environ)) from None
    finally:
        _CONFIG_FILE["path"] = None


def _leaf(parts: list[str]) -> Any:
    """The annotation of the setting at this key path (None if there is none)."""
    model: Any = Settings
    ann: Any = None
    keyed = False
    for part in parts:
        if keyed:
            keyed = False
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)) or part not in model.model_fields:
            return None
        ann = model.model_fields[part].annotation
        if typing.get_origin(ann) is dict:
            keyed = True
            ann = typing.get_args(ann)[1]
        model = ann
    return ann


def _env_decoding_error(exc: SettingsError, environ: Mapping[str, str]) -> str:
    """pydantic-settings' "error parsing value for field ..." turned into the variables and why."""
    import json

    lines = []
    for name, value in sorted(environ.items()):
        if not name.upper().startswith("SIGNAGE_") or name.upper() == "SIGNAGE_CONFIG":
            continue
        parts = name[len("SIGNAGE_"):].lower().split("__")
        ann = _leaf(parts)
        scalar = ann in (str, int, float, bool) or typing.get_origin(ann) is Literal
        if ann is None or scalar:
            continue
        try:
            json.loads(value)
        except ValueError:
            form = "a list: a,b or JSON like [\"a\", \"b\"]" if _list_of_scalars(ann) else "JSON"
            lines.append(f"  {'.'.join(parts)}: {value[:60]!r} is not {form} (from {name})")
    if not lines:
        lines.append(f"  {exc} (check the SIGNAGE_ variables that hold lists or tables)")
    return "invalid configuration (environment):\n" + "\n".join(lines)
