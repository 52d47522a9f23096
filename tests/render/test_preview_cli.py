"""`signage preview`: one frame of a playlist's creative to a PNG, headless."""

import cv2
import numpy as np
import pytest

from screenkit import ROOT
from signage.cli import main
from signage.config import NoticeConfig

DEMO = ROOT / "playlists" / "demo.yaml"


def preview(tmp_path, *args):
    out = tmp_path / "frame.png"
    code = main(["preview", str(DEMO), *args, "--out", str(out)])
    img = cv2.imread(str(out)) if out.exists() else None
    return code, img


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    import os

    for k in list(os.environ):
        if k.startswith("SIGNAGE_"):
            monkeypatch.delenv(k)


@pytest.mark.parametrize("creative", ["welcome", "promo", "come-in"])
def test_every_creative_type_previews_with_the_notice(tmp_path, creative):
    code, img = preview(tmp_path, "--creative", creative, "--at", "2", "--camera", "on")
    assert code == 0 and img.shape == (1080, 1920, 3)
    url, _, _ = cv2.QRCodeDetector().detectAndDecode(img)
    assert url == NoticeConfig().url
    assert img[:900].mean() > 20  # a picture, not a black frame


def test_preview_size_rotation_and_video_time(tmp_path):
    code, portrait = preview(tmp_path, "--size", "1280x720", "--rotation", "90", "--camera", "on")
    assert code == 0 and portrait.shape == (1280, 720, 3)  # upright, as people see it
    _, at1 = preview(tmp_path, "--creative", "promo", "--at", "1", "--camera", "off")
    _, at4 = preview(tmp_path, "--creative", "promo", "--at", "4", "--camera", "off")
    assert np.abs(at1.astype(int) - at4.astype(int)).mean() > 3  # different moments of the video


def test_camera_off_preview_has_no_qr_code(tmp_path):
    code, img = preview(tmp_path, "--camera", "off")
    assert code == 0
    assert cv2.QRCodeDetector().detectAndDecode(img)[0] == ""


def test_preview_errors_are_named(tmp_path, capsys):
    code, _ = preview(tmp_path, "--creative", "nope")
    assert code == 2 and "no creative 'nope'" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ncreatives: []\nloop: []\n")
    assert main(["preview", str(bad), "--out", str(tmp_path / "x.png")]) == 1
    assert str(bad) in capsys.readouterr().err
    code, _ = preview(tmp_path, "--size", "huge")
    assert code == 2 and "--size" in capsys.readouterr().err
