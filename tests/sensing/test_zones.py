"""Exclusion zones (privacy invariant 8): a face inside a zone changes no number.

The geometry (signage/sensing/zones.py) under hypothesis; the config's checks; and the real
pipeline (MediaPipe) on the group photo of tests/data, with a zone over one face against the
same photo with that face painted out, and a zone over everything.
"""

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from media import CLIP, letterbox, load
from signage.config import ConfigError, SensingConfig, load_settings
from signage.sensing import zones
from signage.sensing.pipeline import SensingPipeline
from signage.sensing.types import Frame
from signage.sensing.zones import ZoneFilter

# ----------------------------------------------------------------------------- geometry

unit = st.floats(0.0, 1.0, allow_nan=False)
point = st.tuples(unit, unit)


def rect(x0, y0, x1, y1):
    return ((x0, y0), (x1, y0), (x1, y1), (x0, y1))


@given(st.tuples(unit, unit, unit, unit), point)
def test_rectangle_holds_exactly_the_points_within_its_bounds(r, p):
    x0, x1 = sorted(r[:2])
    y0, y1 = sorted(r[2:])
    inside = x0 <= p[0] <= x1 and y0 <= p[1] <= y1
    near_edge = min(abs(p[0] - x0), abs(p[0] - x1), abs(p[1] - y0), abs(p[1] - y1)) < 1e-7  # the edge's tolerance
    if x1 - x0 > 1e-6 and y1 - y0 > 1e-6 and not near_edge:
        assert zones.contains(rect(x0, y0, x1, y1), p) == inside


@given(st.lists(point, min_size=3, max_size=12), point)
def test_convex_hull_contains_what_every_edge_keeps_on_its_inner_side(points, p):
    hull = cv2.convexHull(np.array(points, np.float64).astype(np.float32)).reshape(-1, 2).astype(float)
    poly = [tuple(v) for v in hull]
    if len(poly) < 3 or abs(zones.area(poly)) < 1e-4:
        return
    sign = 1.0 if zones.area(poly) > 0 else -1.0
    n = len(poly)
    def cross(o, a, b):
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    margins = [sign * cross(poly[i], poly[(i + 1) % n], p) for i in range(n)]
    if all(m > 1e-7 for m in margins):
        assert zones.contains(poly, p)
    elif any(m < -1e-7 for m in margins):
        assert not zones.contains(poly, p)


@given(st.lists(point, min_size=3, max_size=10), point, st.integers(0, 9), st.booleans())
def test_answer_holds_whatever_corner_starts_and_either_direction(points, p, shift, backwards):
    poly = list(points)
    if zones.crossing_edges(poly) is not None:
        return
    other = poly[shift % len(poly):] + poly[:shift % len(poly)]
    if backwards:
        other = other[::-1]
    assert zones.crossing_edges(other) is None
    assert zones.contains(poly, p) == zones.contains(other, p)


@given(st.lists(point, min_size=3, max_size=10), st.integers(0, 9), st.floats(0, 1))
def test_a_point_on_an_edge_is_inside(points, edge, f):
    i = edge % len(points)
    a, b = points[i], points[(i + 1) % len(points)]
    p = (a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]))
    assert zones.contains(points, p)  # the edge is the zone's: a face on it is dropped


def test_bow_tie_crosses_itself_and_a_square_does_not():
    assert zones.crossing_edges([(0, 0), (1, 1), (1, 0), (0, 1)]) == (0, 2)
    assert zones.crossing_edges(rect(0, 0, 1, 1)) is None
    assert zones.crossing_edges([(0, 0), (0.5, 0), (1, 0)]) is not None  # folds back on itself


@given(st.floats(0, 600), st.floats(0, 400), st.floats(1, 80), st.floats(1, 80))
@settings(max_examples=200)
def test_filter_decides_by_the_box_centre(x, y, w, h):
    f = ZoneFilter([zones.Zone("left", rect(0, 0, 0.5, 1))])
    cx = (x + w / 2) / 640
    if abs(cx - 0.5) > 1e-9:
        assert f.excludes((x, y, w, h), 640, 480) == (cx <= 0.5 and (y + h / 2) / 480 <= 1)
    assert not ZoneFilter([]).excludes((x, y, w, h), 640, 480)


# ----------------------------------------------------------------------------- config

TILL = [[0.7, 0.5], [1, 0.5], [1, 1], [0.7, 1]]


def test_config_takes_zones_and_refuses_bad_ones_with_the_key_path(tmp_path):
    ok = SensingConfig(zones=[{"name": "till", "points": TILL}])
    assert ok.zones[0].name == "till" and len(ok.zones[0].points) == 4
    cases = {
        "[[0,0],[1,1]]": "sensing.zones.0.points: Value error, a zone is a polygon of at least 3 points, got 2",
        "[[0,0],[1.5,0],[1,1]]": "sensing.zones.0.points: Value error, point 1 [1.5, 0] is outside the frame",
        "[[0,0],[1,1],[1,0],[0,1]]": "sensing.zones.0.points: Value error, the polygon crosses itself: the edge from "
                                     "point 0 to point 1 meets the edge from point 2 to point 3",
        "[[0,0],[0.5,0.5],[1,1]]": "sensing.zones.0.points: Value error, the polygon crosses itself",
        "[[0,0],[0,0],[1,1]]": "sensing.zones.0.points: Value error, a point is given twice",
    }
    for points, message in cases.items():
        path = tmp_path / "c.toml"
        path.write_text(f'[sensing]\nzones = [{{name = "till", points = {points}}}]\n')
        with pytest.raises(ConfigError) as e:
            load_settings(path)
        assert message in str(e.value), (points, str(e.value))
    path.write_text('[sensing]\nzones = [{name = "a", points = [[0,0],[1,0],[1,1]]}, {name = "a", points = [[0,0],[1,0],[1,1]]}]\n')
    with pytest.raises(ConfigError, match="zone name 'a' is used twice"):
        load_settings(path)
    path.write_text('[sensing]\nzones = [{name = "a", points = [[0,0],[1,0],[1,1]], colour = "red"}]\n')
    with pytest.raises(ConfigError, match="sensing.zones.0.colour"):
        load_settings(path)
    many = ", ".join('{name = "z%d", points = [[0,0],[1,0],[1,1]]}' % i for i in range(17))
    path.write_text(f"[sensing]\nzones = [{many}]\n")
    with pytest.raises(ConfigError, match="sensing.zones"):
        load_settings(path)


# ----------------------------------------------------------------------------- the real pipeline

GROUP = "solvay_1927.png"
# The face at the photo's right end (x, y, w, h in pixels of the 1600x1158 photo), well apart
# from its neighbours: painted out, no other face's crop changes.
FACE = (1434, 640, 48, 54)


def zone_around(box, size, margin=0.6):
    x, y, w, h = box
    W, H = size
    x0, y0, x1, y1 = (x - w * margin) / W, (y - h * margin) / H, (x + w * (1 + margin)) / W, (y + h * (1 + margin)) / H
    return {"name": "till", "points": [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]}


def painted_out(img, box):
    x, y, w, h = box
    out = img.copy()
    ys, xs = slice(int(y - h * 0.3), int(y + h * 1.3)), slice(int(x - w * 0.3), int(x + w * 1.3))
    out[ys, xs] = img[ys, xs].reshape(-1, 3).mean(axis=0).astype(np.uint8)
    return out


def still(cfg, img):
    with SensingPipeline(cfg) as p:
        r = p.process(Frame(img, 0.0, 0, GROUP), still=True)
        return r, p.analyzer.landmark_runs


def stream(cfg, img, frames=12):
    """The photo as a camera would deliver it, 10 frames a second: tracked over time."""
    with SensingPipeline(cfg) as p:
        results = [p.process(Frame(img, i * 0.1, i, "stream"), minute=0, play=1) for i in range(frames)]
        return results, p.analyzer.landmark_runs


def numbers(snap):
    d = snap.to_dict()
    d.pop("counts_epoch")  # a random id of each counter, not a number about the audience
    return d


@pytest.fixture(scope="module")
def group():
    return load(GROUP)


def test_a_face_in_a_zone_changes_no_number_of_a_photo(group):
    size = (group.shape[1], group.shape[0])
    plain, _ = still(SensingConfig(), group)
    zoned, _ = still(SensingConfig(zones=[zone_around(FACE, size)]), group)
    gone, _ = still(SensingConfig(), painted_out(group, FACE))
    assert plain.audience.faces == gone.audience.faces + 1  # the painted face was a face
    assert numbers(zoned.audience) == numbers(gone.audience)
    # Face by face, the zone only takes that face away: every other one is measured as without it.
    zone = ZoneFilter.from_config(SensingConfig(zones=[zone_around(FACE, size)]).zones)
    others = [f.to_dict() for f in plain.faces if not zone.excludes(f.box, *size)]
    assert len(others) == len(plain.faces) - 1
    assert [f.to_dict() for f in zoned.faces] == others


PORTRAITS = ("grace_hopper.jpg", "obama_official_portrait.jpg", "astronaut.png")


def test_a_face_in_a_zone_changes_no_number_of_a_stream():
    """Three portraits of tests/data side by side, each framed 420x480, as a 1260x480 stream
    (2.5 s: people reach 1 s in view and of looking). A zone around the smiling astronaut's
    face against the same stream with her portrait blacked out: every number of every
    frame's snapshot is the same. (A crowd would not do: which of its borderline faces read
    as looking flips with the smallest change of a landmark crop.)"""
    view = np.concatenate([letterbox(load(n), 420, 480) for n in PORTRAITS], axis=1)
    size = (view.shape[1], view.shape[0])
    plain, _ = stream(SensingConfig(), view, frames=25)
    face = next(f.box for f in plain[-1].faces if f.box[0] > 840)
    gone_view = view.copy()
    gone_view[:, 840:] = 0
    zoned, _ = stream(SensingConfig(zones=[zone_around(face, size)]), view, frames=25)
    gone, _ = stream(SensingConfig(), gone_view, frames=25)
    assert (plain[-1].audience.faces, gone[-1].audience.faces) == (3, 2)
    assert plain[-1].audience.smile_ratio != gone[-1].audience.smile_ratio  # her smile counted without the zone
    assert gone[-1].audience.play_impressions == 2 and gone[-1].audience.viewers_total == 2
    for z, g in zip(zoned, gone):
        assert numbers(z.audience) == numbers(g.audience)
        assert len(z.faces) == len(g.faces)


def test_a_zone_over_every_face_leaves_nothing_measured(group):
    everything = {"name": "all", "points": [[0, 0], [1, 0], [1, 1], [0, 1]]}
    r, landmark_runs = still(SensingConfig(zones=[everything]), group)
    assert (r.audience.faces, r.audience.watchers, r.audience.measured, r.faces) == (0, 0, 0, [])
    assert r.audience.smile_ratio == 0.0 and r.audience.measured == 0  # nothing behind a smile figure
    assert landmark_runs == 0  # no landmark model ran on any face: nothing was measured
    results, landmark_runs = stream(SensingConfig(zones=[everything]), group)
    assert all(x.audience.faces == 0 and x.audience.passers_by == 0 for x in results)
    assert results[-1].audience.play_impressions == 0 and results[-1].audience.arrivals_total == 0
    assert landmark_runs == 0


def clip_frames(start, stop):
    cap = cv2.VideoCapture(str(CLIP))
    frames, ok = [], True
    while ok and len(frames) < stop:
        ok, img = cap.read()
        if ok:
            frames.append(img)
    cap.release()
    return frames[start:]


def test_a_face_walking_into_a_zone_leaves_the_count():
    """The sample clip from frame 150: a face followed by its landmarks between detector runs
    walks right, from x 0.39 of the frame to 0.57; a zone over the right half drops it once
    its centre crosses x 0.5, not only at the next detection."""
    frames = clip_frames(150, 275)
    h, w = frames[0].shape[:2]
    half = {"name": "right", "points": [[0.5, 0], [1, 0], [1, 1], [0.5, 1]]}
    with SensingPipeline(SensingConfig()) as p:
        plain = [p.process(Frame(f, i / 30, i, "clip")).faces for i, f in enumerate(frames)]
    with SensingPipeline(SensingConfig(zones=[half])) as p:
        zoned = [p.process(Frame(f, i / 30, i, "clip")).faces for i, f in enumerate(frames)]
    centres = [[zones.box_centre(x.box, w, h)[0] for x in faces] for faces in plain]
    before = [i for i, c in enumerate(centres) if c and max(c) < 0.47]
    after = [i for i, c in enumerate(centres) if any(x > 0.53 for x in c)]
    assert len(before) > 20 and len(after) > 20  # the face was outside, then inside
    for i in range(len(frames)):
        assert all(zones.box_centre(x.box, w, h)[0] < 0.5 for x in zoned[i]), i
    assert sum(1 for i in before if zoned[i]) >= len(before) - 2  # counted while outside
    assert all(len(zoned[i]) == sum(1 for x in centres[i] if x < 0.5) for i in after)


# ----------------------------------------------------------------------------- the schematic

def test_sense_zones_png_is_a_schematic_without_a_camera_pixel(tmp_path, group):
    """`signage sense PHOTO --zones-png`: the PNG is exactly the schematic drawn from the face
    boxes alone on a blank canvas, every pixel one of the schematic's palette colours."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    import pygame

    from media import DATA
    from signage.sensing import schematic

    root = Path(__file__).resolve().parents[2]
    size = (group.shape[1], group.shape[0])
    till = zone_around(FACE, size)
    cfg = tmp_path / "zones.toml"
    cfg.write_text("[sensing]\nzones = [{name = \"till\", points = %s}]\n" % till["points"])
    out = tmp_path / "zones.png"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNAGE_")}
    env.update(PYTHONPATH=str(root), SDL_VIDEODRIVER="dummy", GLOG_minloglevel="2")
    r = subprocess.run([sys.executable, "-m", "signage.cli", "--config", str(cfg), "sense", str(DATA / GROUP),
                        "--zones-png", str(out)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "28 face box(es), 1 in a zone (till)" in r.stdout  # marked, not dropped: the operator sees it
    png = pygame.surfarray.array3d(pygame.image.load(str(out))).transpose(1, 0, 2)

    # The same schematic from the boxes alone (the pipeline as --zones runs it), on a blank canvas.
    r0, _ = still(SensingConfig(expressions="off"), group)
    zf = ZoneFilter.from_config(SensingConfig(zones=[till]).zones)
    drawn = schematic.render([f.box for f in r0.faces], size, zf)
    assert png.shape == drawn.shape == (schematic.canvas_size(size)[1], schematic.WIDTH, 3)
    assert np.array_equal(png, drawn)
    colours = {tuple(int(v) for v in c) for c in np.unique(png.reshape(-1, 3), axis=0)}
    assert colours <= set(schematic.PALETTE.values())  # no pixel of the photo: only the schematic's colours
    assert {schematic.PALETTE["counted"], schematic.PALETTE["dropped"], schematic.PALETTE["zone"]} <= colours
    # And the picture is not the photo: scaled to the same size, the photo's greys are nowhere.
    photo = cv2.resize(group, (png.shape[1], png.shape[0]))[:, :, ::-1]
    assert np.mean(np.all(photo == png, axis=2)) < 0.01


def test_schematic_window_opens_and_draws():
    from signage.sensing.schematic import PALETTE, SchematicView

    import pygame

    zf = ZoneFilter([zones.Zone("till", rect(0.5, 0.5, 1, 1))])
    view = SchematicView(zf, window=True, png=None)
    view.show([(400, 300, 60, 60), (10, 10, 60, 60)], (640, 480))
    shown = pygame.surfarray.array3d(pygame.display.get_surface())
    # The centre dots (x 1.5: 640 px of frame are 960 of canvas): red in the zone, green outside.
    assert tuple(shown[645, 495]) == PALETTE["dropped"] and tuple(shown[60, 60]) == PALETTE["counted"]
    assert not view.closed
    view.close()
