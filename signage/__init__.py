"""signage: an adaptive digital-signage player with anonymous, on-device audience sensing."""

__version__ = "0.1.0"
