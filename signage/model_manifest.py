"""The SHA256SUMS manifest of the models shipped in ``signage/models``: read by sensing
(sensing/model_files.py, which checks every model against it) and by the DPIA draft (which
lists the versions running) without either reaching into the other. Pure apart from the read."""

from __future__ import annotations

from pathlib import Path

MODELS = Path(__file__).resolve().parent / "models"


def read_sums(folder: Path | None = None) -> dict[str, str]:
    """{file name: hex digest} from ``folder``/SHA256SUMS; OSError or ValueError if unreadable."""
    sums = {}
    for line in ((folder or MODELS) / "SHA256SUMS").read_text().splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            sums[name.lstrip("*")] = digest
    return sums
