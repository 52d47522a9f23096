"""Still pictures as a frame source: one image file (``ImageSource``), or every image in a
folder, sorted by name (``FolderSource``). Each frame is one independent photo (t = 0)."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from signage.sensing.sources.base import FrameSource, SourceError, SourceStats, log
from signage.sensing.types import Frame

IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp"})


def _load_image(path: Path) -> np.ndarray:
    """Decode one image file to BGR, or raise SourceError naming the file and the reason."""
    if not path.exists():
        raise SourceError(f"image file {path}: not found")
    if not path.is_file():
        raise SourceError(f"image file {path}: not a regular file")
    if not os.access(path, os.R_OK):
        raise SourceError(f"image file {path}: permission denied")
    try:
        # IMREAD_COLOR: always 3-channel 8-bit BGR (grey, alpha and 16-bit are converted),
        # with the EXIF orientation applied.
        img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    except cv2.error as exc:  # e.g. an image beyond OpenCV's pixel limit
        raise SourceError(f"image file {path}: cannot be decoded: {exc}") from None
    if img is None:
        raise SourceError(f"image file {path}: cannot be decoded (corrupt, empty or not an image)")
    return img



class ImageSource(FrameSource):
    """One still image, delivered once with t=0."""

    is_stream = False

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.name = self.path.name
        self._image: np.ndarray | None = _load_image(self.path)
        self._delivered = 0
        self._closed = False
        log.debug("%s: image %dx%d", self.name, self._image.shape[1], self._image.shape[0])

    def read(self, timeout: float | None = None) -> Frame | None:
        if self._image is None:
            return None
        image, self._image = self._image, None
        self._delivered = 1
        return Frame(image, 0.0, 0, self.name)

    def close(self) -> None:
        self._image = None
        self._closed = True

    @property
    def stats(self) -> SourceStats:
        state = "closed" if self._closed else ("open" if self._image is not None else "ended")
        return SourceStats(self._delivered, 0, state)


class FolderSource(FrameSource):
    """Every image in a folder, sorted by file name, one Frame each (t=0, source=file name).

    Images are decoded one at a time, on read(). One that does not decode is skipped
    with a warning naming it.
    """

    is_stream = False

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.name = self.path.name or str(self.path)
        if not self.path.is_dir():
            raise SourceError(f"image folder {self.path}: not found or not a folder")
        self._files = sorted(
            (p for p in self.path.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file()),
            key=lambda p: p.name,
        )
        if not self._files:
            exts = ", ".join(sorted(IMAGE_EXTENSIONS))
            raise SourceError(f"image folder {self.path}: no images in it ({exts})")
        self._next = 0
        self._delivered = 0
        self._skipped = 0
        self._closed = False
        log.info("%s: folder of %d image(s)", self.name, len(self._files))

    def read(self, timeout: float | None = None) -> Frame | None:
        while not self._closed and self._next < len(self._files):
            path = self._files[self._next]
            self._next += 1
            try:
                image = _load_image(path)
            except SourceError as exc:
                self._skipped += 1
                log.warning("%s: skipped %s", self.name, exc)
                continue
            frame = Frame(image, 0.0, self._delivered, path.name)
            self._delivered += 1
            return frame
        return None

    def close(self) -> None:
        self._closed = True

    @property
    def stats(self) -> SourceStats:
        state = "closed" if self._closed else ("open" if self._next < len(self._files) else "ended")
        return SourceStats(self._delivered, 0, state)
