"""Typed, strict configuration.

Sources, highest priority first: keyword arguments (the CLI), environment variables
(prefix ``SIGNAGE_``, nested with ``__``: ``SIGNAGE_SENSING__TRACKER__MAX_AGE_S=2``),
a ``.env`` file, then a TOML file (``--config FILE`` or ``SIGNAGE_CONFIG=FILE``).
Unknown keys are refused wherever they appear, with their key path in the message.

Every sensing threshold (config/sensing.py) is documented in docs/sensing.md ("Sensing thresholds"),
with the measurements on tests/data that it was derived from.

One module per part of the file: base (the strict base), sensing ([camera], [sensing]),
player ([player], [playlist], [analytics], [health]), screen ([display], [notice], [screen]),
admin ([admin]), fleet ([fleet]) and settings (Settings, the sources and load_settings).
"""

from signage.config.base import Strict, picamera2_number
from signage.config.sensing import CameraConfig, DetectorConfig, LandmarksConfig, ExpressionConfig, TrackerConfig, AudienceConfig, SensingConfig
from signage.config.player import PlaylistLimits, AnalyticsConfig, PlayerConfig, HealthConfig
from signage.config.screen import DisplayConfig, NoticeText, NoticeConfig, ScreenConfig
from signage.config.admin import AdminConfig
from signage.config.fleet import FleetConfig, FleetTls
from signage.config.settings import ConfigError, Settings, load_settings, toml_lines

__all__ = [
    "AdminConfig",
    "AnalyticsConfig",
    "AudienceConfig",
    "CameraConfig",
    "ConfigError",
    "DetectorConfig",
    "DisplayConfig",
    "ExpressionConfig",
    "FleetConfig",
    "FleetTls",
    "HealthConfig",
    "LandmarksConfig",
    "NoticeConfig",
    "NoticeText",
    "PlayerConfig",
    "PlaylistLimits",
    "ScreenConfig",
    "SensingConfig",
    "Settings",
    "Strict",
    "TrackerConfig",
    "load_settings",
    "picamera2_number",
    "toml_lines",
]
