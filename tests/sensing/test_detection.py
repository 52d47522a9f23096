"""Where the detector looks (signage/sensing/detection.py): the pure geometry, then faces
close, cut and far found by the analyzer with the real models on real photos (tests/data)."""

import cv2
import numpy as np
import pytest

from media import letterbox, load
from signage.config import SensingConfig
from signage.sensing.analyzer import FaceAnalyzer, _Detection
from signage.sensing.detection import PAD_MIN_FACE, group_duplicates, padded, tile_windows
from signage.sensing.pipeline import SensingPipeline
from signage.sensing.roi import Roi, crop
from signage.sensing.types import Frame

FPS = 30


# -- pure geometry ---------------------------------------------------------------------


@pytest.mark.parametrize("w, h", [(180, 192), (640, 480), (1920, 1080), (100, 700)])
def test_padded_canvas_holds_the_image_in_its_middle_and_maps_boxes_back(w, h):
    img = np.zeros((h, w, 3), np.uint8)
    img[h // 4 : h // 2, w // 4 : w // 2] = 255  # a bright block, a quarter of the image wide
    canvas, where = padded(img)
    assert canvas.shape[0] == canvas.shape[1] <= 384
    assert canvas.shape[0] >= 1.9 * max(w, h) * where.scale
    ys, xs = np.nonzero(canvas[:, :, 0] > 127)
    # the block as the detector would box it in the canvas, mapped back to the image
    d = _Detection((xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1), 0.9,
                   (xs.min(), ys.min()), (xs.max(), ys.min()))
    back = where.to_image(d)
    tol = 1.5 / where.scale
    np.testing.assert_allclose(back.box, (w // 4, h // 4, w // 2 - w // 4, h // 2 - h // 4), atol=tol)
    assert back.right_eye[0] == pytest.approx(w // 4, abs=tol) and back.left_eye[1] == pytest.approx(h // 4, abs=tol)
    assert where.large_in_image([d], w, h) == ([back] if back.box[2] >= PAD_MIN_FACE * min(w, h) else [])


def test_stream_tiles_overlap_less_and_still_cover_the_frame():
    for w, h, n in ((640, 480, 4), (1280, 720, 6), (1920, 1080, 6)):
        wins = tile_windows(w, h, 2, overlap=0.2)
        assert len(wins) == n
        covered = np.zeros((h, w), bool)
        for x, y, tw, th in wins:
            covered[y : y + th, x : x + tw] = True
        assert covered.all()
        side = wins[0][2]
        assert wins[1][0] <= 0.8 * side  # neighbours share at least a fifth of a tile


def test_nested_and_overlapping_boxes_of_one_face_are_one_group():
    whole = _Detection((100, 100, 60, 60), 0.8, (115, 120), (145, 120))
    padded_box = _Detection((104, 98, 58, 64), 0.9, (115, 120), (145, 120))
    nested = _Detection((120, 130, 20, 20), 0.7, (125, 135), (135, 135))  # a part of the face
    other = _Detection((300, 100, 60, 60), 0.6, (315, 120), (345, 120))
    groups = group_duplicates([whole, nested, other, padded_box])
    assert groups == [[padded_box, whole, nested], [other]]


# -- the real models on real photos ------------------------------------------------------


@pytest.fixture(scope="module")
def analyzer():
    with FaceAnalyzer(SensingConfig()) as a:
        yield a


def face_box(analyzer, img):
    """The detector's box (eyes to mouth) of the photo's one face, in pixels."""
    (d,) = analyzer._detector.detect(cv2.cvtColor(img, cv2.COLOR_BGR2RGB))
    return d.box


def cut_around(img, box, scale):
    """A square cut of ``img`` centred on ``box``, ``scale`` times its longer side."""
    x, y, w, h = box
    side = scale * max(w, h)
    x0, y0 = int(max(0, x + w / 2 - side / 2)), int(max(0, y + h / 2 - side / 2))
    return img[y0 : int(y0 + side), x0 : int(x0 + side)]


@pytest.mark.parametrize("name", ["astronaut.png", "obama_official_portrait.jpg"])
def test_a_face_filling_the_photo_is_found(analyzer, name):
    img = load(name)
    close_up = cv2.resize(cut_around(img, face_box(analyzer, img), 1.0), (180, 192), interpolation=cv2.INTER_AREA)
    (face,) = analyzer.analyze(Frame(close_up, 0.0, 0, name), still=True)
    assert face.measured and face.looking
    with FaceAnalyzer(SensingConfig(detector={"pad": False})) as unpadded:  # the case is real
        assert unpadded.analyze(Frame(close_up, 0.0, 0, name), still=True) == []


def stream(cfg, frames):
    with SensingPipeline(cfg) as pipe:
        return [pipe.process(Frame(f, i / FPS, i, "test")) for i, f in enumerate(frames)]


@pytest.mark.parametrize("name, edge, cut", [("obama_official_portrait.jpg", "top", 0.35),
                                             ("astronaut.png", "left", 0.5),
                                             ("biden_white_house.jpg", "right", 0.5),
                                             ("grace_hopper.jpg", "left", 0.5)])
def test_a_face_cut_by_the_frame_edge_is_found_on_a_stream(analyzer, name, edge, cut):
    img = load(name)
    box = face_box(analyzer, img)
    tile = cv2.resize(cut_around(img, box, 2.0), (400, 400), interpolation=cv2.INTER_AREA)  # face ~200 px
    k = 100 + int(cut * 200)  # the margin, then that share of the face, are outside the frame
    frame = np.full((480, 640, 3), 90, np.uint8)
    if edge == "top":
        frame[:400 - k, 120:520] = tile[k:]
    elif edge == "left":
        frame[40:440, :400 - k] = tile[:, k:]
    else:
        frame[40:440, 640 - (400 - k):] = tile[:, :400 - k]
    results = stream(SensingConfig(), [frame] * FPS)
    assert [len(r.faces) for r in results[-20:]] == [1] * 20
    assert results[-1].audience.passers_by == 1
    unpadded = stream(SensingConfig(detector={"pad": False, "stream_tiles": 0}), [frame] * FPS)
    assert all(len(r.faces) == 0 for r in unpadded)  # the whole frame alone misses it


def test_a_small_face_found_by_a_stream_tile_is_counted_steadily(analyzer):
    img = load("astronaut.png")
    tile = cv2.resize(cut_around(img, face_box(analyzer, img), 2.0), (40, 40), interpolation=cv2.INTER_AREA)
    frame = np.full((480, 640, 3), 90, np.uint8)
    frame[200:240, 300:340] = tile  # a face about 20 px wide: the whole frame misses it
    results = stream(SensingConfig(), [frame] * (3 * FPS))
    counts = [len(r.faces) for r in results]
    first = counts.index(1)
    # found within one turn of the padded frame and the 4 tiles, one of them every other
    # detector run (0.4 s): 2 s
    assert first <= 2.0 * FPS + 1
    assert counts[first:] == [1] * (len(counts) - first)  # held until its tile is read again
    assert results[-1].audience.passers_by == 1 and results[-1].audience.faces == 1
    assert all(len(r.faces) == 0 for r in stream(SensingConfig(detector={"stream_tiles": 0}), [frame] * FPS))


def test_a_small_face_found_by_a_tile_leaves_the_count_within_half_a_second(analyzer):
    """Its tile comes round only every 2 s; in between, each detector run checks it again."""
    img = load("astronaut.png")
    tile = cv2.resize(cut_around(img, face_box(analyzer, img), 2.0), (40, 40), interpolation=cv2.INTER_AREA)
    frame = np.full((480, 640, 3), 90, np.uint8)
    frame[200:240, 300:340] = tile
    empty = np.full_like(frame, 90)
    n_in = int(2.5 * FPS)
    results = stream(SensingConfig(), [frame] * n_in + [empty] * FPS)
    assert results[n_in - 1].audience.faces == 1
    after = [r.audience.faces for r in results[n_in:]]
    gone = next(k for k in range(len(after)) if not any(after[k:]))
    assert (gone + 1) / FPS <= 0.5 + 1 / FPS, f"counted {(gone + 1) / FPS:.2f} s after leaving"


@pytest.mark.parametrize("name", ["coffee.png", "chelsea.png"])
@pytest.mark.parametrize("size", [(640, 480), (1280, 720)])
def test_face_free_streams_give_no_face_with_padding_and_tiles(name, size):
    img = load(name)
    h, w = img.shape[:2]
    frames = [letterbox(np.ascontiguousarray(img[:, int(w * 0.2 * i / 45) : int(w * 0.2 * i / 45) + int(w * 0.8)]), *size)
              for i in range(45)]
    results = stream(SensingConfig(), frames)
    assert sum(len(r.faces) for r in results) == 0
    assert results[-1].audience.passers_by == 0


def test_landmark_crops_past_the_edge_of_face_free_photos_find_no_face(analyzer):
    """The crop replicates the border (as Face Mesh does): no ROI at the edges of the
    face-free photos reads as a face; a constant black border made one of 900 read 0.89."""
    rng = np.random.default_rng(0)
    for name in ("coffee.png", "chelsea.png"):
        img = load(name)
        h, w = img.shape[:2]
        for k in range(40):
            side = rng.uniform(0.1, 0.6) * min(w, h)
            near = rng.uniform(-0.3, 0.3) * side
            cx, cy = [(near, rng.uniform(0, h)), (w - near, rng.uniform(0, h)),
                      (rng.uniform(0, w), near), (rng.uniform(0, w), h - near)][k % 4]
            _, presence = analyzer._landmarker.run(crop(img, Roi(cx, cy, side, rng.uniform(-0.3, 0.3)), bgr=True))
            assert presence < 0.5, (name, k)


def test_a_face_cut_in_half_by_the_edge_keeps_its_presence(analyzer):
    img = load("grace_hopper.jpg")
    x, y, w, h = face_box(analyzer, img)
    cut = np.ascontiguousarray(img[:, int(x + w / 2):])  # the face's left half is gone
    roi = Roi(w / 2, y + h / 2, 1.5 * max(w, h), 0.0)  # the ROI the whole face had, moved with the cut
    _, presence = analyzer._landmarker.run(crop(cut, roi, bgr=True))
    assert presence > 0.5


def test_bgr_crop_is_the_rgb_crop():
    img = load("grace_hopper.jpg")
    roi = Roi(250.0, 260.0, 300.0, 0.2)
    np.testing.assert_array_equal(crop(img, roi, bgr=True), crop(cv2.cvtColor(img, cv2.COLOR_BGR2RGB), roi))
