"""The one-slot hand-over from a capture thread to the consumer, used by the sources that run
in real time (a camera, a video played at its own pace): the newest frame wins, a frame
nobody read is replaced and counted as dropped; the consumer never gets a backlog."""

from __future__ import annotations

import threading

from signage.sensing.types import Frame


class Mailbox:
    """One-slot hand-over from a capture thread to the consumer: the newest frame wins.

    put() over a frame nobody has read yet replaces it and counts one drop.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._frame: Frame | None = None
        self._ended = False
        self.dropped = 0

    def put(self, frame: Frame) -> None:
        with self._cond:
            if self._ended:
                return
            if self._frame is not None:
                self.dropped += 1
            self._frame = frame
            self._cond.notify_all()

    def get(self, timeout: float | None) -> Frame | None:
        """The newest unread frame, waiting up to timeout (None: until one arrives or the end)."""
        with self._cond:
            self._cond.wait_for(lambda: self._frame is not None or self._ended, timeout)
            frame, self._frame = self._frame, None
            return frame

    def end(self, discard: bool = False) -> None:
        """No more frames will come; the unread one (if any) is still delivered unless discard."""
        with self._cond:
            self._ended = True
            if discard:
                self._frame = None
            self._cond.notify_all()
