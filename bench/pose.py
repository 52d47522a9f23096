"""Head pose and `looking` on the development set, old against new, cross-validated.

    .venv/bin/python bench/pose.py            # GENKI-4K (pose labels) and Yale (all frontal)
    .venv/bin/python bench/pose.py --variants # also the fits that were tried and not chosen

Old: yaw and pitch from the face's axes through four landmarks (cheeks, forehead, chin), roll
from the eye line, looking = |yaw| <= 30 and |pitch| <= 25 (the settings of main before
signage/sensing/pose.py). New: signage/sensing/pose.py, a weighted Procrustes fit to MediaPipe's
canonical face, with the eyes; its looking uses the settings' defaults.

Every constant fitted to GENKI's labels is fitted on four folds and scored on the fifth
(bench/devset.folds: 5 folds, seed 0, duplicate images kept together), so the figures printed
are cross-validated; the constant the product ships is the fit on all of GENKI, printed last.
Landmarks come from bench/devset.py's cache (built on first use, about 10 minutes).
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import devset  # noqa: E402

from signage.config import ExpressionConfig  # noqa: E402
from signage.sensing import features, gaze, pose  # noqa: E402

LIM = 20.0  # the looking label: |yaw| <= 20 and |pitch| <= 20 (the devset scorer's default)
OLD_CFG = ExpressionConfig(looking_max_yaw_deg=30.0, looking_max_pitch_deg=25.0)


def old_pose(points: np.ndarray) -> tuple[float, float, float]:
    """main's features.head_pose before pose.py: the axes of four landmarks."""
    forward = -features.face_axes(points)[2]
    yaw = math.degrees(math.atan2(forward[0], -forward[2]))
    pitch = math.degrees(math.atan2(-forward[1], math.hypot(forward[0], forward[2])))
    eye = points[263, :2] - points[33, :2]
    return yaw, pitch, math.degrees(math.atan2(eye[1], eye[0]))


def new_raw(points: np.ndarray) -> tuple[float, ...]:
    """The fit's angles before calibration, and the eyelid measures."""
    r = pose.fit_rotation(points)
    e = pose.eyes(points, r)
    return (*pose.angles(r), e.upper_lid, e.opening)


def measure(data: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    pts = data["points"].astype(np.float64)
    found = np.isfinite(pts[:, 0, 0])
    old = np.full((len(pts), 3), np.nan)
    new = np.full((len(pts), 5), np.nan)
    for i in np.flatnonzero(found):
        old[i] = old_pose(pts[i])
        new[i] = new_raw(pts[i])
    return found, old, new


def fit_constants(new: np.ndarray, lab_pitch: np.ndarray, train: np.ndarray) -> tuple[float, float, float]:
    """pose.py's three constants from the training images: the pitch offset (median of label
    minus fit), and the upper lid's level and fall per degree (least squares of lid height on
    the eyes' pitch, which is minus the calibrated head pitch for people looking at the camera)."""
    off = float(np.median(lab_pitch[train] - new[train, 1]))
    per_deg, level = np.polyfit(-(new[train, 1] + off), new[train, 3], 1)
    return off, float(level), float(per_deg)


def calibrated(new: np.ndarray, i: int, consts: tuple[float, float, float]) -> pose.HeadAndEyes:
    off, level, per_deg = consts
    p = pose.Pose(new[i, 0], new[i, 1] + off, new[i, 2])
    return pose.HeadAndEyes(p, pose.Eyes(new[i, 3], new[i, 4], (new[i, 3] - level) / per_deg))


def pose_rows(name: str, pred: np.ndarray, lab: np.ndarray, found: np.ndarray) -> list[str]:
    rows = []
    for k, axis in enumerate(("yaw", "pitch", "roll")):
        p, t = pred[found, k], lab[found, k]
        a = np.abs(p - t)
        slope, bias = np.polyfit(t, p, 1)
        rows.append(f"  {name:4} {axis:5}  |error| median {np.median(a):4.1f} deg  p90 {np.percentile(a, 90):5.1f} deg"
                    f"  reads {slope:.2f} x label {bias:+5.1f} deg  label = {np.polyfit(p, t, 1)[0]:.2f} x reading"
                    f"  spread ratio {p.std() / t.std():.2f}  r {np.corrcoef(p, t)[0, 1]:.3f}")
    frontal = found & (np.abs(lab[:, 0]) <= 10) & (np.abs(lab[:, 1]) <= 10)
    fe = pred[frontal, 1] - lab[frontal, 1]
    rows.append(f"  {name:4} frontal pitch bias (label |yaw|, |pitch| <= 10 deg, n={frontal.sum()}): "
                f"mean {fe.mean():+.1f} deg, median {np.median(fe):+.1f} deg")
    return rows


def looking_row(name: str, looking: np.ndarray, label: np.ndarray) -> str:
    tp, tn = (looking & label).sum(), (~looking & ~label).sum()
    return (f"  {name:4} looking at +-{LIM:.0f} deg: accuracy {(tp + tn) / len(label):.4f}"
            f"  looking-recall {tp / label.sum():.3f}  away-recall {tn / (~label).sum():.3f}"
            f"  (n={len(label)}, {(~label).sum()} away; no face = not looking)")


def genki(cfg: ExpressionConfig) -> tuple[float, float, float]:
    items = devset.genki()
    found, old, new = measure(devset.landmarks(items, "genki"))
    lab = np.array([[it.yaw, it.pitch, it.roll] for it in items])
    label_looking = (np.abs(lab[:, 0]) <= LIM) & (np.abs(lab[:, 1]) <= LIM)
    fold = devset.folds(items)
    consts, heads = [], [None] * len(items)
    for k in range(5):
        train, test = found & (fold != k), found & (fold == k)
        c = fit_constants(new, lab[:, 1], train)
        consts.append(c)
        for i in np.flatnonzero(test):
            heads[i] = calibrated(new, i, c)
    cal = np.array([(h.pose.yaw, h.pose.pitch, h.pose.roll) if h else (np.nan,) * 3 for h in heads])
    looking_old = np.array([bool(f) and pose.head_in_cone(pose.Pose(*o), OLD_CFG) for f, o in zip(found, old)])
    head_only = np.array([h is not None and pose.head_in_cone(h.pose, cfg) for h in heads])
    points = data_points(items)
    iris, iris_consts = iris_cv(items, points, heads, fold)
    looking_new = np.array([h is not None and pose.is_looking(h, cfg, iris_of(iris, i)) for i, h in enumerate(heads)])

    print(f"GENKI-4K: {len(items)} images, a face in {found.sum()}; 5 folds (seed 0), each scored with "
          "constants fitted on the other four")
    print("  constants per training split (pitch offset deg, lid level, lid fall per deg): "
          + "; ".join(f"{o:+.2f}, {lv:.3f}, {pd:.4f}" for o, lv, pd in consts))
    for row in pose_rows("old", old, lab, found) + pose_rows("new", cal, lab, found):
        print(row)
    print(looking_row("old", looking_old, label_looking))
    print(looking_row("head", head_only, label_looking) + "  <- new head pose alone")
    print(looking_row("new", looking_new, label_looking) + "  <- new head pose, lids and irises (the product)")
    vetoed = head_only & ~looking_new
    print(f"  eyes: {vetoed.sum()} faces with the head in the cone called not looking ({(vetoed & label_looking).sum()}"
          " of them label-looking)")
    gz = np.array([h.pose.pitch + h.eyes.pitch if h else np.nan for h in heads])
    print(f"  gaze pitch (head + lids) on GENKI, people looking at the camera: sd {np.nanstd(gz):.1f} deg,"
          f" 1st/5th percentile {np.nanpercentile(gz, 1):+.1f}/{np.nanpercentile(gz, 5):+.1f} deg")
    # A stand-in for people looking down at a phone: the faces whose eyes are turned down in the
    # head (label pitch >= 15 deg while they look at the camera), with the head bent down.
    down = found & (lab[:, 1] >= 15)
    eyes_down = np.array([heads[i].eyes.pitch for i in np.flatnonzero(down)])
    print("  the lids alone (no iris; the rule before the irises, whose default was 25):")
    for g in (20.0, 25.0, 30.0, 35.0):
        c = cfg.model_copy(update={"looking_max_gaze_down_deg": g, "looking_iris_below_deg": g})
        lk = np.array([h is not None and pose.is_looking(h, c) for h in heads])
        caught = [np.mean(-bend + eyes_down < -g) for bend in (10, 20)]
        print(f"    limit {g:4.0f}: GENKI accuracy {np.mean(lk == label_looking):.4f},"
              f" label-looking vetoed {(head_only & ~lk & label_looking).sum():3d};"
              f" stand-in phone lookers (eyes down {np.median(lab[down, 1]):.0f} deg, n={down.sum()}) called away"
              f" with the head 10 deg down {caught[0]:.2f}, 20 deg down {caught[1]:.2f}")
    final = fit_constants(new, lab[:, 1], found)
    print("  constants fitted on all of GENKI (shipped in pose.py): pitch offset {:+.2f} deg, lid level {:.3f},"
          " lid fall {:.4f} per deg".format(*final)
          + f" (pose.py has {pose.PITCH_OFFSET_DEG:+.2f}, {pose.EYE_LID_LEVEL:.3f}, {pose.EYE_LID_PER_DEG:.4f})")
    genki_iris(cfg, items, points, heads, fold, label_looking, down, iris, iris_consts)
    return final


def data_points(items: list) -> np.ndarray:
    return devset.landmarks(items, "genki")["points"].astype(np.float64)


def iris_heights(points: np.ndarray, centres: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per face: the irises' height (gaze.iris_height_cm; NaN without both... either eye) and
    the calibrated head pitch it goes with."""
    h = np.full(len(points), np.nan)
    for i in range(len(points)):
        eyes = {k: tuple(centres[i, k]) for k in (0, 1) if np.isfinite(centres[i, k, 0])}
        if np.isfinite(points[i, 0, 0]) and eyes:
            r, scale = pose.fit(points[i])
            h[i] = gaze.iris_height_cm(points[i], r, scale, eyes)
    return h


def fit_iris(height: np.ndarray, pitch: np.ndarray, train: np.ndarray) -> tuple[float, float]:
    """gaze.py's two fitted constants (level, change with sin(head pitch)) on people looking at
    the camera: least squares of the irises' height on sin(calibrated head pitch)."""
    per_sin, level = np.polyfit(np.sin(np.radians(pitch[train])), height[train], 1)
    return float(level), float(per_sin)


def iris_cv(items, points, heads, fold) -> tuple[np.ndarray, list]:
    """Each face's iris gaze (signage.sensing.gaze), with the two constants fitted on the
    other four folds (NaN where not measured), and the constants per split."""
    height = iris_heights(points, devset.iris(items, "genki"))
    pitch = np.array([h.pose.pitch if h else np.nan for h in heads])
    has = np.isfinite(height) & np.isfinite(pitch)
    iris = np.full(len(items), np.nan)
    consts = []
    for k in range(5):
        train, test = has & (fold != k), has & (fold == k)
        c = fit_iris(height, pitch, train)
        consts.append(c)
        for i in np.flatnonzero(test):
            iris[i] = gaze.iris_gaze_deg(height[i], pitch[i], *c)
    return iris, consts


def iris_of(iris: np.ndarray, i: int) -> float | None:
    return None if np.isnan(iris[i]) else float(iris[i])


def genki_iris(cfg: ExpressionConfig, items, points, heads, fold, label_looking, down, iris, consts) -> None:
    """The irises (signage.sensing.gaze) on GENKI: their gaze estimate's spread, and `looking`
    with it, cross-validated; stand-ins for people looking down at a phone."""
    height = iris_heights(points, devset.iris(items, "genki"))
    pitch = np.array([h.pose.pitch if h else np.nan for h in heads])
    has = np.isfinite(iris)
    lids = np.array([pose.lid_gaze(h, cfg) if h else np.nan for h in heads])
    print(f"  irises measured on {has.sum()} faces; constants per training split (level cm, per sin(pitch)): "
          + "; ".join(f"{lv:.3f}, {ps:+.3f}" for lv, ps in consts))
    for name, g in (("lids", lids), ("irises", iris), ("mean of both", (lids + iris) / 2)):
        print(f"  gaze from the {name:12}: sd {np.nanstd(g[has]):.1f} deg, 1st/5th percentile "
              f"{np.nanpercentile(g[has], 1):+.1f}/{np.nanpercentile(g[has], 5):+.1f} deg, median {np.nanmedian(g[has]):+.1f}")
    print(f"  lids' and irises' gaze errors correlate r = {np.corrcoef(lids[has], iris[has])[0, 1]:.2f}")

    def shifted(h: pose.HeadAndEyes, head_pitch: float | None = None, eyes_down: float = 0.0) -> pose.HeadAndEyes:
        p = h.pose if head_pitch is None else pose.Pose(h.pose.yaw, head_pitch, h.pose.roll)
        e = pose.Eyes(h.eyes.upper_lid, h.eyes.opening, h.eyes.pitch - eyes_down)
        return pose.HeadAndEyes(p, e, h.rotation, h.scale)

    def irises(i: int) -> float | None:
        return iris_of(iris, i)

    cone = np.array([h is not None and pose.head_in_cone(h.pose, cfg) for h in heads])
    print("  looking with the irises (settings: looking_iris_below_deg, looking_max_gaze_down_deg); stand-in phone"
          " users called watchers (the bar: under 0.20):")
    print("    A: GENKI faces whose eyes are turned down in the head (label pitch >= 15), the head bent to 10 / 20 deg"
          " down; B: every face in the cone, its eyes turned 30 / 40 deg further down")
    rows = [(25.0, 25.0, False)] + [(b, m, True) for b in (10.0, 15.0, 20.0) for m in (15.0, 18.0, 20.0, 22.0, 25.0)]
    for below, most, use in rows:
        c = cfg.model_copy(update={"looking_iris_below_deg": below, "looking_max_gaze_down_deg": most})
        ir = irises if use else (lambda i: None)
        lk = np.array([h is not None and pose.is_looking(h, c, ir(i)) for i, h in enumerate(heads)])
        a = [np.mean([pose.is_looking(shifted(heads[i], -bend), c, None if ir(i) is None else ir(i) - (pitch[i] + bend))
                      for i in np.flatnonzero(down)]) for bend in (10, 20)]
        b = [np.mean([pose.is_looking(shifted(heads[i], eyes_down=e), c, None if ir(i) is None else ir(i) - e)
                      for i in np.flatnonzero(cone)]) for e in (30, 40)]
        asked = np.mean([pose.iris_wanted(heads[i], c) for i in np.flatnonzero(cone)]) if use else 0.0
        label = f"{below:4.0f}, {most:4.0f}" if use else "lids alone (the rule before), 25"
        print(f"    {label:>32}: GENKI looking {np.mean(lk == label_looking):.4f}, label-looking vetoed"
              f" {(cone & ~lk & label_looking).sum():3d}; A {a[0]:.2f} / {a[1]:.2f}; B {b[0]:.2f} / {b[1]:.2f};"
              f" irises measured for {asked:.2f} of the faces in the cone")
    for px in (90, 60):
        far = iris_heights(points, devset.iris(items, "genki", face_px=px))
        ok = np.isfinite(far) & has
        g = np.array([gaze.iris_gaze_deg(far[i], pitch[i]) for i in np.flatnonzero(ok)])
        print(f"  the image scaled down to faces {px} px wide: iris gaze median {np.median(g):+.1f} deg,"
              f" sd {g.std():.1f} deg (shipped constants; full size: median"
              f" {np.median([gaze.iris_gaze_deg(height[i], pitch[i]) for i in np.flatnonzero(ok)]):+.1f})")
    final = fit_iris(height, pitch, has)
    print("  iris constants fitted on all of GENKI: level {:.3f} cm, per sin(pitch) {:+.3f}".format(*final)
          + f" (gaze.py has {gaze.IRIS_LEVEL_CM:.3f}, {gaze.IRIS_PER_SIN_PITCH:+.3f}; eye radius {gaze.EYE_RADIUS_CM} cm, anatomy)")


def yale(cfg: ExpressionConfig) -> None:
    items = devset.yale()
    found, old, new = measure(devset.landmarks(items, "yale"))
    print(f"Yale expressions: {len(items)} images, all frontal, a face in {found.sum()}")
    exprs = sorted({it.expression for it in items})
    points = devset.landmarks(items, "yale")["points"].astype(np.float64)
    height = iris_heights(points, devset.iris(items, "yale"))
    for name in ("old", "new"):
        calls = []
        for i in range(len(items)):
            if not found[i]:
                calls.append(False)
            elif name == "old":
                calls.append(pose.head_in_cone(pose.Pose(*old[i]), OLD_CFG))
            else:
                shipped = (pose.PITCH_OFFSET_DEG, pose.EYE_LID_LEVEL, pose.EYE_LID_PER_DEG)
                h = calibrated(new, i, shipped)
                ir = None if np.isnan(height[i]) else gaze.iris_gaze_deg(height[i], h.pose.pitch)
                calls.append(pose.is_looking(h, cfg, ir))
        calls = np.array(calls)
        per = "  ".join(f"{e} {sum(calls[j] for j, it in enumerate(items) if it.expression == e)}/"
                        f"{sum(it.expression == e for it in items)}" for e in exprs)
        print(f"  {name:4} called looking {calls.sum()}/{len(items)}:  {per}")


def cost(points: np.ndarray, n: int = 2000, rounds: int = 9) -> None:
    """CPU time per face (time.process_time): old against new, in alternating rounds of n calls
    each; the best round of each is printed (the machine is shared, so the best round is the
    least disturbed one)."""
    cfg = ExpressionConfig()
    fns = {"old pose + looking (4 landmarks)": lambda: pose.head_in_cone(pose.Pose(*old_pose(points)), OLD_CFG),
           "new pose + eyes + looking (fit)": lambda: pose.is_looking(pose.head_and_eyes(points), cfg)}
    best = {name: math.inf for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            t = time.process_time()
            for _ in range(n):
                fn()
            best[name] = min(best[name], (time.process_time() - t) / n)
    for name, t in best.items():
        print(f"  {name:34} {t * 1e3:.4f} ms CPU per face (best of {rounds} rounds of {n} calls)")


# MediaPipe's Procrustes basis (face_geometry/data/geometry_pipeline_metadata_landmarks.pbtxt,
# procrustes_landmark_basis, google-ai-edge/mediapipe fde35cd): ids and weights, for --variants.
MP_BASIS = {4: 0.0709, 6: 0.0321, 10: 0.0084, 33: 0.0587, 54: 0.0077, 67: 0.0091, 117: 0.0098,
            119: 0.0146, 121: 0.0186, 127: 0.0052, 129: 0.1206, 132: 0.0056, 133: 0.0533, 136: 0.0669,
            143: 0.0148, 147: 0.0143, 198: 0.0255, 205: 0.0473}
MP_BASIS.update({m: MP_BASIS[i] for i, m in ((33, 263), (54, 284), (67, 297), (117, 346), (119, 348),
                 (121, 350), (127, 356), (129, 358), (132, 361), (133, 362), (136, 365), (143, 372),
                 (147, 376), (198, 420), (205, 425))})


def variant_fit(points: np.ndarray, ids: np.ndarray, w: np.ndarray, depth: float | None) -> np.ndarray:
    """A model-to-camera rotation: weak perspective on x, y (depth None, as pose.py) or a 3-D
    Procrustes fit on Face Mesh's x, y and z (z stretched by `depth`)."""
    from signage.sensing.canonical_face import CANONICAL_FACE

    m = CANONICAL_FACE[ids] - w @ CANONICAL_FACE[ids]
    if depth is None:
        q = points[ids, :2] * (1.0, -1.0)
        a = np.linalg.solve((m * w[:, None]).T @ m, (m * w[:, None]).T @ (q - w @ q)).T
        u, _, vt = np.linalg.svd(a, full_matrices=False)
        r = u @ vt
        return np.stack([r[0], r[1], np.cross(r[0], r[1])])
    q = points[ids] * (1.0, -1.0, -depth)
    u, _, vt = np.linalg.svd((m * w[:, None]).T @ (q - w @ q))
    r = (u @ vt).T
    return r if np.linalg.det(r) > 0 else (u @ (vt * np.array([[1.0], [1.0], [-1.0]]))).T


def variants() -> None:
    """The fits tried for pose.py, scored like it (pitch offset from the training folds)."""
    every, basis = np.arange(468), np.array(sorted(MP_BASIS))
    sets = {"all 468": (every, np.full(468, 1 / 468)),
            "MediaPipe basis": (basis, np.array([MP_BASIS[i] for i in basis]) / sum(MP_BASIS.values()))}
    items, yitems = devset.genki(), devset.yale()
    pts = devset.landmarks(items, "genki")["points"].astype(np.float64)
    ypts = devset.landmarks(yitems, "yale")["points"].astype(np.float64)
    found = np.isfinite(pts[:, 0, 0])
    lab = np.array([[it.yaw, it.pitch] for it in items])
    fold = devset.folds(items)
    label = (np.abs(lab[:, 0]) <= LIM) & (np.abs(lab[:, 1]) <= LIM)
    print("Fits tried (head pose alone; GENKI cross-validated; Yale: pitch of the surprised face minus"
          " the same subject's neutral one):")
    for depth in (None, 1.0, 1.5, 2.0):
        for name, (ids, w) in sets.items():
            if depth is not None and depth != 1.0 and name != "MediaPipe basis":
                continue
            kind = "weak perspective (x, y)" if depth is None else f"3-D, z x {depth:g}"
            ang = np.full((len(items), 2), np.nan)
            for i in np.flatnonzero(found):
                ang[i] = pose.angles(variant_fit(pts[i], ids, w, depth))[:2]
            raw = ang.copy()
            for k in range(5):
                train, test = found & (fold != k), found & (fold == k)
                ang[test, 1] = raw[test, 1] + np.median(lab[train, 1] - raw[train, 1])
            row = []
            for a, axis in enumerate(("yaw", "pitch")):
                e = np.abs(ang[found, a] - lab[found, a])
                row.append(f"{axis} {np.median(e):.1f}/{np.percentile(e, 90):.1f} deg"
                           f" x{np.polyfit(lab[found, a], ang[found, a], 1)[0]:.2f}")
            looking = found & (np.abs(ang[:, 0]) <= LIM) & (np.abs(ang[:, 1]) <= LIM)
            yp = {(it.group, it.expression): pose.angles(variant_fit(ypts[i], ids, w, depth))[1]
                  for i, it in enumerate(yitems) if np.isfinite(ypts[i, 0, 0])}
            shift = [yp[(g, "surprised")] - yp[(g, "neutral")] for g, e in yp if e == "surprised" and (g, "neutral") in yp]
            print(f"  {kind:24} {name:16} {row[0]:22} {row[1]:22} looking {np.mean(looking == label):.4f}"
                  f"  Yale surprised {np.mean(shift):+.1f} (max {np.max(np.abs(shift)):.1f}) deg")


def main() -> None:
    if not devset.available():
        raise SystemExit(f"no development set at {devset.DEVSET} (set DEVSET_DIR)")
    cfg = ExpressionConfig()
    print(f"looking settings: max yaw {cfg.looking_max_yaw_deg}, max pitch {cfg.looking_max_pitch_deg} deg; "
          f"old: {OLD_CFG.looking_max_yaw_deg}, {OLD_CFG.looking_max_pitch_deg} deg")
    genki(cfg)
    yale(cfg)
    data = devset.landmarks(devset.genki(), "genki")
    first = data["points"][np.isfinite(data["points"][:, 0, 0])][0].astype(np.float64)
    print("Cost:")
    cost(first)
    if "--variants" in sys.argv[1:]:
        variants()


if __name__ == "__main__":
    main()
