"""The privacy notice must name whoever really runs the screen.

``kiosk/signage.toml`` ships placeholders in angle brackets ("<who runs this screen>"), which
the player refuses wherever they appear; a kiosk (``player.demo_fallback = false``) also
refuses the demo café's sample values, the defaults a developer's ``./run`` shows. Pure:
the caller (``signage run``) prints the problems and exits 2 (a bad configuration).
"""

from __future__ import annotations

from signage.config import NoticeConfig

FIELDS = {
    "controller": "who runs this screen (the data controller)",
    "contact": "a privacy contact (e-mail or phone)",
    "url": "the address of the full privacy notice",
}
SAMPLES = {name: NoticeConfig.model_fields[name].default for name in FIELDS}
HOW = "set it in the configuration file ([notice]) or with kiosk/install.sh --controller/--contact/--notice-url"


def is_placeholder(value: str) -> bool:
    v = value.strip()
    return v.startswith("<") and v.endswith(">")


def notice_problems(notice: NoticeConfig, *, kiosk: bool) -> list[str]:
    """One line per notice field that is a placeholder, or (on a kiosk) still the sample."""
    out = []
    for name, what in FIELDS.items():
        value = getattr(notice, name)
        if is_placeholder(value):
            out.append(f"notice.{name} is still the placeholder {value!r}: set {what}; {HOW}")
        elif kiosk and value == SAMPLES[name]:
            out.append(f"notice.{name} is the demo café's sample {value!r} (player.demo_fallback = false: a kiosk): "
                       f"set {what}; {HOW}")
    return out
