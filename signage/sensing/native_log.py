"""Keep MediaPipe's native start-up chatter off the operator's terminal and journal.

libmediapipe (absl logging) and LiteRT write straight to file descriptor 2 when a model is
loaded, first run and closed: one "Sparsity tensors may not yet be fully supported" line
per sparse tensor of the detector (46), accelerator INFO lines, and so on. None of it is
actionable. ``native_stderr_filtered()`` routes fd 2 through a pipe for the duration of
such a call; a reader thread forwards every line that is not known chatter to the real
stderr (so Python logging from other threads and any real native error still arrive, a
moment later), and counts what it held back.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import threading
from collections.abc import Iterator

log = logging.getLogger(__name__)

# Lines known to carry no information for an operator (each one seen with mediapipe 1.2.3).
CHATTER = re.compile(
    rb"^(INFO: |WARNING: \[model_load\.cc:\d+\] Sparsity tensors|WARNING: Logging before InitGoogle"
    rb"|W0000 [^]]*(inference_feedback_manager|inference_runner_litert)\.cc:\d+\] "
    rb"(Feedback manager requires|Input tensor memory is not aligned))"
)

_lock = threading.Lock()
held_back = 0  # chatter lines not shown, since start


def _forward(read_fd: int, out_fd: int) -> None:
    global held_back
    buf = b""
    with os.fdopen(read_fd, "rb", buffering=0) as pipe:
        while chunk := pipe.read(65536):
            buf += chunk
            *lines, buf = buf.split(b"\n")
            for line in lines:
                if CHATTER.match(line):
                    held_back += 1
                else:
                    os.write(out_fd, line + b"\n")
    if buf:
        os.write(out_fd, buf)


@contextlib.contextmanager
def native_stderr_filtered() -> Iterator[None]:
    """Within the block, native writes to fd 2 are filtered (see the module's docstring).
    Nested and concurrent uses are serialised; if fd 2 cannot be redirected, nothing is."""
    with _lock:
        try:
            saved = os.dup(2)
            read_fd, write_fd = os.pipe()
        except OSError:
            yield
            return
        reader = threading.Thread(target=_forward, args=(read_fd, saved), name="native-stderr", daemon=True)
        reader.start()
        os.dup2(write_fd, 2)
        os.close(write_fd)
        try:
            yield
        finally:
            os.dup2(saved, 2)  # closes the pipe's last write end: the reader drains and ends
            reader.join(timeout=5)
            os.close(saved)
