"""The model files shipped in ``signage/models``, checked against their SHA-256 manifest.

Every model (the three MediaPipe models, the expression classifier) is read through
``load_model``: a missing, damaged or changed file is a ``ModelError`` naming it, never a
model that silently computes something else. Nothing is downloaded.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from signage.model_manifest import read_sums

MODELS = Path(__file__).resolve().parent.parent / "models"


class ModelError(RuntimeError):
    """A model file is missing or is not the file the project ships."""


def expected_sha256(folder: Path | None = None) -> dict[str, str]:
    """The SHA256SUMS manifest beside the models: {file name: hex digest}."""
    return read_sums(folder or MODELS)


def load_model(name: str, folder: Path | None = None) -> bytes:
    """The model's bytes, after checking them against the manifest."""
    folder = folder or MODELS
    path = folder / name
    try:
        data = path.read_bytes()
        want = expected_sha256(folder).get(name)
    except (OSError, ValueError) as e:
        raise ModelError(f"{path}: cannot read the model ({getattr(e, 'strerror', None) or e}); reinstall signage") from None
    if want is None:
        raise ModelError(f"{path}: not listed in {folder / 'SHA256SUMS'}")
    got = hashlib.sha256(data).hexdigest()
    if got != want:
        raise ModelError(f"{path}: SHA-256 {got[:12]}… is not the shipped model's {want[:12]}…; reinstall signage")
    return data
