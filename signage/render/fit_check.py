"""What the notice and ``fill`` take from each picture and video, screen by screen
(``signage validate``, ``signage preview``). Warnings only: the screen still plays.

- A ``full_bleed`` creative lies under the notice band: say how much of it the band covers,
  as a share of its visible pixels, at each screen checked.
- ``fill`` crops a picture whose shape differs from the screen's: warn when it crops more than
  ``layout.CROP_WARN_SHARE`` of its area, once per orientation (the worst screen), and say to
  give a portrait (or landscape) variant. A text slide's background picture is always fill
  (its variant: ``portrait_background_image``); the notice covering it is not counted, since
  the slide's words keep clear of the band.

The screens checked: the configured display size (turned by its rotation) and the common
ones, ``layout.COMMON_SIZES`` (1920x1080, 1280x720, 1080x1920 portrait, 3840x2160).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from signage.render.geometry import Size, rotated_size
from signage.render.layout import COMMON_SIZES, CROP_WARN_SHARE, content_box, covered_share, crop_share, orientation


@dataclass(frozen=True)
class Picture:
    """One creative's file, as the checks need it."""

    where: str  # "creatives[2] promo"
    name: str  # the file's name as written (no server path)
    size: Size
    fit: str
    full_bleed: bool
    orientations: tuple[str, ...] = ("landscape", "portrait")  # the screens this file is shown on
    variant: bool = False  # it is the creative's portrait variant
    fields: tuple[str, str] = ("source", "portrait_source")  # the creative's landscape and portrait fields
    covered: bool = True  # say what the notice covers under full_bleed (not behind a text slide's words)


# The fields naming a creative's file and its portrait variant, by type.
FIELDS = {"image": ("source", "portrait_source"), "video": ("source", "portrait_source"),
          "text": ("background_image", "portrait_background_image")}


def screens(display) -> list[Size]:
    """The configured screen (upright, after rotation) first, then the common ones."""
    out: list[Size] = []
    if display is not None and display.size:
        out.append(rotated_size(tuple(display.size), display.rotation))
    for s in COMMON_SIZES:
        if s not in out:
            out.append(s)
    return out


def band_heights(notice, sizes: list[Size]) -> dict[Size, int]:
    """The notice band's height (camera on: the box creatives keep whether it shows or not)."""
    from signage.render.overlay import PrivacyNotice

    pn = PrivacyNotice(notice)
    return {s: pn.height(s, True) for s in sizes}


def picture_warnings(pic: Picture, bands: dict[Size, int], position: str) -> list[str]:
    """The covered share (full bleed) and the crop warnings of one picture over ``bands``."""
    out: list[str] = []
    sizes = [s for s in bands if orientation(s) in pic.orientations]
    if pic.full_bleed and pic.covered and sizes:
        parts = []
        for s in sizes:
            cov = covered_share(pic.size, s, pic.fit, bands[s], position)
            of = f" of {pic.name}" if not parts else ""
            rows = f" (its {cov.side} {cov.rows} px)" if cov.rows else " (letterboxed clear of it)"
            parts.append(f"{cov.share:.0%}{of} at {s[0]}x{s[1]}{rows}")
        out.append(f"{pic.where}: full_bleed: the notice covers " + ", ".join(parts))
    if pic.fit == "fill":
        for orient in pic.orientations:
            worst = None
            for s in (s for s in sizes if orientation(s) == orient):
                box = (s[0], s[1]) if pic.full_bleed else content_box(s, bands[s], position)[2:]
                crop = crop_share(pic.size, box, "fill")
                if worst is None or crop.share > worst[0].share:
                    worst = (crop, s)
            if worst is not None and worst[0].share > CROP_WARN_SHARE:
                crop, s = worst
                out.append(f"{pic.where}: fill crops {crop.share:.0%} of {pic.name} in {orient} ({s[0]}x{s[1]}: "
                           f"its {crop.sides}); {_crop_hint(pic, orient, s, bands[s], position)}")
    return out


def _crop_hint(pic: Picture, orient: str, screen: Size, band_h: int, position: str) -> str:
    """What to do about a large crop: the variant to give, or the shape that fits."""
    box = screen if pic.full_bleed else content_box(screen, band_h, position)[2:]
    shape = f"the picture's area is {box[0]}x{box[1]}"
    main, variant = pic.fields
    or_fit = " or use fit: fit" if pic.covered else ""  # a slide's background is always fill
    if pic.variant:
        return f"make {variant} that shape ({shape}){or_fit}"
    if orient == "portrait":
        return f"give a portrait variant ({variant}; {shape})"
    return f"give a landscape picture as {main} ({shape}) and this one as {variant}"


def playlist_pictures(loaded) -> list[Picture]:
    """Every picture and video of a loaded playlist (and text slide's background picture),
    with the screens each is shown on."""
    pics = []
    p = loaded.playlist
    for i, c in enumerate(p.creatives):
        info, portrait = loaded.assets.get(c.id), loaded.assets.get(f"{c.id}:portrait")
        main, variant = FIELDS[c.type]
        slide = c.type == "text"
        fit = "fill" if slide else c.fit or p.defaults.fit
        where = f"creatives[{i}] {c.id}"
        if info is not None:
            pics.append(Picture(where, Path(getattr(c, main)).name, (info.width, info.height), fit, c.full_bleed,
                                ("landscape",) if portrait else ("landscape", "portrait"), False,
                                FIELDS[c.type], not slide))
        if portrait is not None:
            pics.append(Picture(where, Path(getattr(c, variant)).name, (portrait.width, portrait.height), fit,
                                c.full_bleed, ("portrait",), True, FIELDS[c.type], not slide))
    return pics


def playlist_warnings(loaded, notice, display=None) -> list[str]:
    """Every covered-share and crop line of a loaded playlist, at the screens checked."""
    pics = playlist_pictures(loaded)
    if not pics:
        return []
    bands = band_heights(notice, screens(display))
    return [line for pic in pics for line in picture_warnings(pic, bands, notice.position)]


def preview_warnings(spec, size: Size, notice) -> list[str]:
    """The same lines for one creative at the one screen a preview renders."""
    slide = spec.kind == "text"
    variant_path = spec.portrait_background_image if slide else spec.portrait_path
    portrait = bool(variant_path) and orientation(size) == "portrait"
    path = variant_path if portrait else spec.background_image if slide else spec.path
    src = source_size(path, "image" if slide else spec.kind) if path else None
    if src is None:
        return []
    pic = Picture(spec.id, Path(path).name, src, "fill" if slide else spec.fit, spec.full_bleed, (orientation(size),),
                  portrait, FIELDS[spec.kind], not slide)
    return picture_warnings(pic, band_heights(notice, [size]), notice.position)


def source_size(path: str, kind: str) -> Size | None:
    """A picture's or video's pixel size, or None when it cannot be read."""
    import cv2

    if kind == "video":
        cap = cv2.VideoCapture(path)
        try:
            w, h = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        finally:
            cap.release()
        return (w, h) if w > 0 and h > 0 else None
    from signage.render.creatives import CreativeError, read_picture

    try:
        img = read_picture(path)
    except CreativeError:
        return None
    return (img.shape[1], img.shape[0])
