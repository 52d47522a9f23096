"""The smile and surprise classifier: its features, the shipped model file, and real faces."""

import json
import math
import shutil

import numpy as np
import pytest

from signage.config import SensingConfig
from signage.sensing import expressions
from signage.sensing.model_files import MODELS, ModelError
from test_features import mesh, turned  # noqa: F401  (the astronaut's real mesh, a turn)


def rolled(points, deg):
    r = math.radians(deg)
    rot = np.array([[math.cos(r), -math.sin(r), 0], [math.sin(r), math.cos(r), 0], [0, 0, 1]])
    c = points.mean(axis=0)
    return (points - c) @ rot.T + c


def test_features_ignore_distance_position_and_head_roll(mesh):  # noqa: F811
    a = expressions.feature_vector(mesh)
    assert a.shape == (expressions.N_FEATURES,) and np.isfinite(a).all()
    for other in (mesh * 0.3, mesh + np.array([250.0, -80.0, 5.0]), rolled(mesh, 25)):
        assert np.abs(expressions.feature_vector(other) - a).max() < 1e-6


@pytest.mark.parametrize("yaw, pitch", [(35, 0), (0, 20), (-30, -15)])
def test_features_ignore_head_turn(mesh, yaw, pitch):  # noqa: F811
    a = expressions.feature_vector(mesh)
    b = expressions.feature_vector(turned(mesh, yaw, pitch))
    assert np.abs(b - a).max() < 0.02


def test_features_see_the_mouth(mesh):  # noqa: F811
    """Corners drawn up and out change the features: the classifier has something to read."""
    wider = mesh.copy()
    iod = np.linalg.norm(mesh[263] - mesh[33])
    wider[61] += [-0.08 * iod, -0.05 * iod, 0]
    wider[291] += [0.08 * iod, -0.05 * iod, 0]
    d = expressions.feature_vector(wider) - expressions.feature_vector(mesh)
    assert np.abs(d).max() > 0.04


def test_the_shipped_model_loads_and_scores_within_0_1(mesh):  # noqa: F811
    model = expressions.load_model()
    smile, surprise = model.scores(mesh)
    assert 0.0 <= smile <= 1.0 and 0.0 <= surprise <= 1.0
    assert model.version


def test_the_model_file_records_how_it_was_made():
    doc = json.loads((MODELS / expressions.MODEL_FILE).read_text())
    assert doc["trained_with"]["tool"] == "tools/train-expressions" and "seed" in doc["trained_with"]
    cv = doc["cross_validated"]["genki"]
    assert cv["images"] == 4000 and 0.5 < cv["smile_accuracy"] <= 1.0  # what the README quotes
    assert (MODELS / expressions.MODEL_FILE).stat().st_size < 200_000


def copy_models(tmp_path):
    folder = tmp_path / "models"
    shutil.copytree(MODELS, folder)
    return folder


def test_a_changed_model_file_is_refused_naming_it(tmp_path):
    folder = copy_models(tmp_path)
    path = folder / expressions.MODEL_FILE
    path.write_text(path.read_text().replace('"b2":', '"b2": 1e3, "x":', 1))
    with pytest.raises(ModelError, match=r"expressions\.json: SHA-256 .* reinstall"):
        expressions.load_model(folder)


def test_a_missing_model_file_is_refused_naming_it(tmp_path):
    folder = copy_models(tmp_path)
    (folder / expressions.MODEL_FILE).unlink()
    with pytest.raises(ModelError, match=r"expressions\.json: cannot read"):
        expressions.load_model(folder)


@pytest.mark.parametrize("damage", [
    lambda d: d["model"].update(features=12),
    lambda d: d["model"]["smile"].update(w2=[0.0]),
    lambda d: d["model"]["surprise"].update(b1=[float("nan")] * len(d["model"]["surprise"]["b1"])),
    lambda d: d["model"].update(scale=[0.0] * expressions.N_FEATURES),
    lambda d: d.pop("model"),
])
def test_a_model_of_another_shape_is_refused(tmp_path, damage):
    """A file that passes its checksum (someone retrained and re-summed) but does not fit this
    code: a ModelError saying so, never a traceback from numpy."""
    import hashlib

    folder = copy_models(tmp_path)
    path = folder / expressions.MODEL_FILE
    doc = json.loads(path.read_text())
    damage(doc)
    path.write_text(json.dumps(doc).replace("NaN", "NaN"))
    sums = folder / "SHA256SUMS"
    lines = [ln for ln in sums.read_text().splitlines() if not ln.endswith(expressions.MODEL_FILE)]
    sums.write_text("\n".join(lines + [f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {expressions.MODEL_FILE}"]) + "\n")
    with pytest.raises(ModelError, match="not an expression model of this version"):
        expressions.load_model(folder)


def test_the_analyzer_fails_at_start_on_a_damaged_model(tmp_path, monkeypatch):
    from signage.sensing import analyzer as analyzer_module

    folder = copy_models(tmp_path)
    (folder / expressions.MODEL_FILE).write_text("{}")
    monkeypatch.setattr(analyzer_module.FaceAnalyzer, "_load_expressions", staticmethod(lambda: expressions.load_model(folder)))
    with pytest.raises(ModelError):
        analyzer_module.FaceAnalyzer(SensingConfig())


def face_down(points, du):
    """Image 'down' in the face's own frame, du IODs long (the face is upright here)."""
    iod = np.linalg.norm(points[263] - points[33])
    return np.array([0.0, du * iod, 0.0])


def test_real_smile_and_neutral_faces(mesh):  # noqa: F811
    model = expressions.load_model()
    smile, surprise = model.scores(mesh)  # the astronaut's broad smile
    assert smile > 0.9 and surprise < 0.2


def test_corners_pulled_down_are_never_a_smile(mesh):  # noqa: F811
    """A crying or grimacing mouth: the corners pulled down below the upper lip, the mouth
    open. The smile guard holds whatever the network says (the development set has no crying
    face): the astronaut's broad smile with its corners dragged down is no smile any more."""
    model = expressions.load_model()
    lo, hi = model.smile_guard
    crying = mesh.copy()
    before = expressions.feature_vector(mesh)[expressions.SMILE_GUARD_FEATURE]
    drop = (before - lo) + 0.02  # corners this much lower: past the guard's end
    for i in (61, 291, 146, 375, 185, 409, 78, 308):
        crying[i] += face_down(mesh, drop)
    crying[14] += face_down(mesh, 0.15)  # and the jaw open
    crying[17] += face_down(mesh, 0.15)
    assert expressions.feature_vector(crying)[expressions.SMILE_GUARD_FEATURE] < lo
    smile, _ = model.scores(crying)
    assert smile == 0.0
    # halfway into the ramp the score is reduced, not cut
    half = mesh.copy()
    for i in (61, 291):
        half[i] += face_down(mesh, (before - (lo + hi) / 2))
    assert 0.0 < model.scores(half)[0] < model.scores(mesh)[0]


def test_a_face_and_its_mirror_image_score_the_same(mesh):  # noqa: F811
    assert (expressions.MIRROR[expressions.MIRROR] == np.arange(468)).all()  # a pairing
    assert expressions.MIRROR[33] == 263 and expressions.MIRROR[61] == 291 and expressions.MIRROR[1] == 1
    model = expressions.load_model()
    a, b = model.scores(mesh), model.scores(expressions.mirrored(mesh))
    assert a == pytest.approx(b, abs=1e-9)


@pytest.mark.parametrize("yaw, pitch", [(0, 0), (35, 0), (-30, -15)])
def test_the_players_one_pass_scores_equal_the_features_the_model_was_trained_on(mesh, yaw, pitch):  # noqa: F811
    """``scores`` computes the face's frame once for the face and its mirror image and runs
    both networks in one product; it must give what ``batch`` gives on ``feature_vector``, the
    training tool's features (a drift here would score faces on other features than trained)."""
    model = expressions.load_model()
    rng = np.random.default_rng(abs(yaw * 100 + pitch))
    for pts in (turned(mesh, yaw, pitch), turned(mesh, yaw, pitch) + rng.normal(0, 2.0, mesh.shape)):
        pair = expressions.feature_pair(pts)
        assert np.abs(pair[0] - expressions.feature_vector(pts)).max() < 1e-9
        assert np.abs(pair[1] - expressions.feature_vector(expressions.mirrored(pts))).max() < 1e-9
        smile, surprise = model.batch(pair[:1], pair[1:])
        assert model.scores(pts) == pytest.approx((float(smile[0]), float(surprise[0])), abs=1e-12)


@pytest.mark.parametrize("yaw, pitch", [(0, 0), (35, 0), (-30, -15)])
def test_the_measures_read_off_the_features_equal_mouth_and_brows(mesh, yaw, pitch):  # noqa: F811
    from signage.sensing import features

    pts = turned(mesh, yaw, pitch)
    a = features.mouth_and_brows(pts)
    b = expressions.mouth_and_brows_of(expressions.feature_pair(pts))
    for field in ("mouth_width", "corner_lift", "lip_gap", "brow_height", "eye_open"):
        assert getattr(b, field) == pytest.approx(getattr(a, field), abs=1e-9), field
