"""The creatives of the playlist format: image, video and text, with their fit and
transition, as strict pydantic models (``Creative`` is the union, by ``type``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import Field, WithJsonSchema, field_validator, model_validator

from signage.playlist import limits
from signage.playlist.campaign_schema import CampaignId
from signage.playlist.schema_values import Color, Duration, Id, Schedule, Strict, _within, parse_duration

Fit = Literal["fit", "fill", "stretch"]
Transition = Literal["cut", "crossfade", "slide"]


class _TransitionSpec(Strict):
    type: Transition = "crossfade"
    duration: Annotated[Duration, _within(0.0, limits.MAX_TRANSITION_S, "transition")] = 0.6

    @model_validator(mode="before")
    @classmethod
    def _short(cls, v: Any) -> Any:
        return {"type": v} if isinstance(v, str) else v


TransitionSpec = Annotated[
    _TransitionSpec,
    WithJsonSchema({"anyOf": [
        {"type": "string", "enum": ["cut", "crossfade", "slide"]},
        {"type": "object", "additionalProperties": False, "properties": {
            "type": {"type": "string", "enum": ["cut", "crossfade", "slide"]},
            "duration": {"anyOf": [{"type": "number"}, {"type": "string"}]}}},
    ]}),
]


class _CreativeBase(Strict):
    id: Id
    duration: Annotated[Duration | None, _within(limits.MIN_CREATIVE_S, limits.MAX_CREATIVE_S, "creative")] = Field(
        None, description="how long it plays; a video defaults to its own length")
    fit: Fit | None = None
    transition: TransitionSpec | None = None
    schedule: Schedule | None = Field(None, description="when this creative may play at all")
    max_per_hour: int | None = Field(None, ge=1, le=limits.MAX_PER_HOUR, description="at most this many plays in any hour")
    campaign_id: CampaignId | None = None
    full_bleed: bool = Field(False, description="cover the whole screen, under the privacy notice too "
                             "(default: laid out in the area the notice leaves free)")

    @field_validator("duration", mode="before")
    @classmethod
    def _positive(cls, v: Any) -> Any:
        if v is not None and parse_duration(v) <= 0:
            raise ValueError("a creative's duration must be more than 0 s")
        return v


class ImageCreative(_CreativeBase):
    type: Literal["image"]
    source: str = Field(description="path, relative to the playlist file")
    portrait_source: str | None = Field(None, description="the picture for a portrait screen (taller than wide); "
                                        "source is then the landscape one")
    background: Color | None = Field(None, description="letterbox colour for fit: fit, and the notice's strip")


class VideoCreative(_CreativeBase):
    type: Literal["video"]
    source: str
    portrait_source: str | None = Field(None, description="the video for a portrait screen (taller than wide)")
    background: Color | None = None


class TextCreative(_CreativeBase):
    type: Literal["text"]
    headline: str = Field(min_length=1, max_length=200)
    body: str | None = Field(None, max_length=1000)
    color: Color = "#ffffff"
    background: Color = "#1d3557"
    accent: Color | None = None
    background_image: str | None = Field(None, description="a picture behind the words, always fill: the safe area "
                                         "(the whole screen with full_bleed)")
    portrait_background_image: str | None = Field(None, description="the background picture for a portrait screen "
                                                  "(taller than wide); background_image is then the landscape one")
    align: Literal["left", "center", "right"] = "center"

    @model_validator(mode="after")
    def _variant_of_a_background(self) -> TextCreative:
        if self.portrait_background_image is not None and self.background_image is None:
            raise ValueError("portrait_background_image is the portrait variant of background_image: "
                             "give background_image (the landscape picture) too")
        return self


Creative = Annotated[Union[ImageCreative, VideoCreative, TextCreative], Field(discriminator="type")]
