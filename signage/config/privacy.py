"""[privacy]: the second layer of the notice (docs/privacy-notice.md): who answers for the
screen beyond the first layer's controller and contact, and where passers-by complain."""

from __future__ import annotations

from pydantic import Field, field_validator

from signage.config.base import Strict


class PrivacyConfig(Strict):
    """Facts only the operator knows; the rest of the page comes from the configuration."""

    # The controller's postal address, as on the shop's legal notices ("" = not given).
    controller_address: str = Field("", max_length=200)
    # The data protection officer's name and contact ("" = none appointed).
    dpo: str = Field("", max_length=120)
    # The supervisory authority passers-by may complain to, and its web address.
    authority: str = Field("", max_length=120)
    authority_url: str = Field("", max_length=200)
    # The camera's horizontal field of view, degrees (its data sheet), for the DPIA's detection
    # range (`signage dpia`); None = not known.
    camera_fov_deg: float | None = Field(None, gt=10, lt=180)
    # Where the second layer is published for passers-by's phones ("" = notice.url).
    page_url: str = Field("", max_length=200)

    @field_validator("authority_url", "page_url")
    @classmethod
    def _web(cls, v: str) -> str:
        if v and not v.startswith(("https://", "http://")):
            raise ValueError(f"a web address starts with https:// or http://, got {v!r}")
        return v
