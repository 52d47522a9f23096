"""Sensing benchmark: the mediapipe 1.x backend against the 0.10.18 one, side by side, in one run.

    .venv/bin/python bench/sensing.py [--rounds 3] [--genki 500|all] [--legacy-venv .venv-legacy]
    .venv/bin/python bench/sensing.py --make-legacy      # build the 0.10.18 venv first (Python 3.11/3.12)

signage now senses with mediapipe 1.x (MediaPipe Tasks; backend "tasks"). The backend it
replaces (mediapipe 0.10.18's solution graphs; backend "legacy", see bench/legacy/README.md)
can still be installed on Python 3.11 and 3.12; when its venv exists, every figure below is
measured for both, by bench/sensing_worker.py in each venv, in this one run:

1. the shared photos (../shared/media, labels by eye as in bench/accuracy.py): faces,
   expression, looking, yaw and pitch of each;
2. the landmarks, point for point: the 0.10.18 Face Mesh points and the new backend's for
   the same region of interest of each face of the shared photos;
3. the development set (../shared/devset, when present): GENKI-4K (a seeded sample, or
   all 4,000) for face count, smile, looking and pose, Yale for expressions;
4. cost: CPU time per frame of the whole pipeline (process CPU time, pinned to one core)
   for 0, 1, 3 and 10 faces of the shared photos at 640x480 and 1280x720, and for a stream of
   development photos, in interleaved rounds, against two baselines measured in the same run:
   the product's own two models run raw as Face Mesh runs (always), and raw Face Mesh
   (0.10.18, stream mode, max_num_faces = the faces in view) when its venv exists.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
WORKER = ROOT / "bench" / "sensing_worker.py"
SHARED = ROOT.parent / "shared"
MEDIA = SHARED / "media" if (SHARED / "media").is_dir() else ROOT / "tests" / "data"
DEVSET = SHARED / "devset"
LEGACY_REQUIREMENTS = ROOT / "bench" / "legacy" / "requirements.txt"
sys.path.insert(0, str(ROOT / "bench"))

from accuracy import LABELS  # noqa: E402  (faces, expression, looking) per photo, by eye



def run_worker(python: Path, backend: str, *args: str, stdin: str | None = None) -> list[dict]:
    p = subprocess.run([str(python), str(WORKER), backend, *args], input=stdin, capture_output=True, text=True,
                       cwd=ROOT, timeout=7200)
    if p.returncode != 0:
        raise SystemExit(f"{backend} worker failed ({' '.join(args[:2])}):\n{p.stderr[-3000:]}")
    return [json.loads(line) for line in p.stdout.splitlines() if line.startswith("{")]


def make_legacy(venv: Path) -> None:
    for name in ("python3.12", "python3.11"):
        py = shutil.which(name)  # a pyenv shim may name a version that is not installed: try it
        if py and subprocess.run([py, "--version"], capture_output=True).returncode == 0:
            break
    else:
        raise SystemExit("--make-legacy: mediapipe 0.10.18 needs Python 3.11 or 3.12; neither is on PATH")
    subprocess.run([py, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin/python"), "-m", "pip", "install", "-q", "-r", str(LEGACY_REQUIREMENTS)], check=True)
    print(f"built {venv} with {py}")


def largest(faces: list[dict]) -> dict | None:
    return max(faces, key=lambda f: f["box"][2] * f["box"][3]) if faces else None


# ----------------------------------------------------------------------------- 1. photos
def photos(pythons: dict[str, Path]) -> None:
    files = [str(MEDIA / n) for n in LABELS]
    res = {b: {r["source"]: r["faces"] for r in run_worker(py, b, "photos", *files)} for b, py in pythons.items()}
    print(f"\n1. shared photos ({MEDIA}):")
    cols = "".join(f" | {b:^36}" for b in pythons)
    print(f"  {'photo':<34} {'label':<18}{cols}")
    score = {b: [0, 0] for b in pythons}
    for name, (n, expr, looking) in LABELS.items():
        label = f"{n} {expr or ''} {'' if looking is None else ('looking' if looking else 'away')}".strip()
        cells = ""
        for b in pythons:
            faces = res[b][name]
            f = largest(faces)
            ok = [len(faces) == n]
            if f and expr:
                ok.append(f["expression"] == expr)
            if f and looking is not None:
                ok.append(f["looking"] is looking)
            score[b][0] += sum(ok)
            score[b][1] += len(ok)
            desc = f"{len(faces)}"
            if f and f.get("yaw") is not None and n == 1:
                desc += f" {f['expression']} s{f['smile']:.2f} {'look' if f['looking'] else 'away'} y{f['yaw']:+.0f} p{f['pitch']:+.0f}"
            cells += f" | {desc:<36}"
        print(f"  {name:<34} {label:<18}{cells}")
    print("  right: " + ", ".join(f"{b} {s[0]}/{s[1]}" for b, s in score.items()))


# ----------------------------------------------------------------------------- 2. landmarks
def landmarks(pythons: dict[str, Path]) -> None:
    if "legacy" not in pythons:
        return
    files = [str(MEDIA / n) for n in LABELS]
    ref = run_worker(pythons["legacy"], "legacy", "landmarks", *files)
    rows = run_worker(pythons["tasks"], "tasks", "same-roi", stdin="".join(json.dumps(r) + "\n" for r in ref))
    print(f"\n2. landmarks on the same ROI, 0.10.18 Face Mesh vs tasks backend ({len(rows)} faces of the shared photos):")
    for r in rows:
        print(f"  {r['file']:<34} face {r['face_px']:6.0f} px  max {r['max_px']:.4f} px  mean {r['mean_px']:.4f} px"
              f"  z max {r['max_z_px']:.4f} px  r {r['r']:.6f}  presence {r['presence']:.3f}")
    if rows:
        print(f"  worst point anywhere: {max(r['max_px'] for r in rows):.4f} px; lowest correlation {min(r['r'] for r in rows):.6f}")


# ----------------------------------------------------------------------------- 3. devset
def _auc(scores: list[float], labels: list[int]) -> float:
    s, y = np.asarray(scores, float), np.asarray(labels, int)
    pos, neg = s[y == 1], s[y == 0]
    if not len(pos) or not len(neg):
        return float("nan")
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(greater / (len(pos) * len(neg)))


def genki_figures(rows: dict[str, dict], out: list[dict], lim: float = 20.0) -> dict[str, float]:
    n = ok1 = none = right = tp = pos = tn = neg = look_right = 0
    scores, labels, eyaw, epitch, spitch = [], [], [], [], []
    for r in out:
        lab = rows[r["source"]]
        faces = r.get("faces") or []
        f = largest(faces)
        n += 1
        ok1 += len(faces) == 1
        none += not faces
        smile = int(lab["smile"])
        pred = bool(f and f.get("expression") == "smile")
        right += pred == bool(smile)
        pos += smile
        tp += pred and smile
        neg += not smile
        tn += (not pred) and not smile
        if f and f.get("smile") is not None:
            scores.append(f["smile"])
            labels.append(smile)
        yaw, pitch = float(lab["yaw_deg"]), float(lab["pitch_deg"])
        look_right += bool(f and f.get("looking")) == (abs(yaw) <= lim and abs(pitch) <= lim)
        if f and f.get("yaw") is not None:
            eyaw.append(abs(f["yaw"] - yaw))
            epitch.append(abs(f["pitch"] - pitch))
            spitch.append(f["pitch"] - pitch)
    return {
        "images": n, "exactly one face %": 100 * ok1 / n, "no face %": 100 * none / n,
        "smile accuracy %": 100 * right / n, "smile recall %": 100 * tp / max(pos, 1),
        "non-smile specificity %": 100 * tn / max(neg, 1), "smile score AUC": _auc(scores, labels),
        "looking accuracy % (±20°)": 100 * look_right / n,
        "yaw |error| median °": float(np.median(eyaw)) if eyaw else float("nan"),
        "pitch |error| median °": float(np.median(epitch)) if epitch else float("nan"),
        "pitch bias (mean error) °": float(np.mean(spitch)) if spitch else float("nan"),
    }


def yale_figures(rows: dict[str, dict], out: list[dict]) -> dict[str, float]:
    smiles = found = false_smiles = non = surprised = surprise_found = ok1 = 0
    for r in out:
        lab = rows[r["source"]]
        faces = r.get("faces") or []
        f = largest(faces)
        ok1 += len(faces) == 1
        expr = f.get("expression") if f else None
        if lab["smile"] == "1":
            smiles += 1
            found += expr == "smile"
        else:
            non += 1
            false_smiles += expr == "smile"
        if lab["expression"] == "surprised":
            surprised += 1
            surprise_found += expr == "surprise"
    return {"images": len(out), "exactly one face %": 100 * ok1 / max(len(out), 1),
            "smiles found": found, "of smiles": smiles, "false smiles": false_smiles, "of non-smiles": non,
            "surprise found": surprise_found, "of surprised": surprised}


def devset(pythons: dict[str, Path], genki: str) -> None:
    if not DEVSET.is_dir():
        print(f"\n3. development set: {DEVSET} not present; skipped")
        return
    g_rows = {os.path.basename(r["file"]): r for r in csv.DictReader(open(DEVSET / "genki4k/labels.csv"))}
    names = sorted(g_rows)
    if genki != "all":
        names = sorted(random.Random(0).sample(names, int(genki)))
    y_rows = {os.path.basename(r["file"]): r for r in csv.DictReader(open(DEVSET / "yale_expressions/labels.csv"))}
    sets = {
        "GENKI-4K" + ("" if genki == "all" else f" (seeded sample of {len(names)})"):
            (g_rows, [str(DEVSET / "genki4k/files" / n) for n in names], genki_figures),
        "Yale expressions": (y_rows, [str(DEVSET / "yale_expressions/files" / n) for n in sorted(y_rows)], yale_figures),
    }
    print(f"\n3. development set ({DEVSET}):")
    for title, (rows, files, figures) in sets.items():
        figs = {b: figures(rows, run_worker(py, b, "photos", *files)) for b, py in pythons.items()}
        print(f"  {title}:")
        for key in next(iter(figs.values())):
            print(f"    {key:<28}" + "".join(f" {b} {figs[b][key]:>8.3f}" if isinstance(figs[b][key], float)
                                           else f" {b} {figs[b][key]:>8}" for b in pythons))


# ----------------------------------------------------------------------------- 4. cost
def cost(pythons: dict[str, Path], rounds: int) -> None:
    per: dict[tuple[str, str], list[float]] = {}
    found: dict[tuple[str, str], float] = {}
    faces: dict[str, int] = {}
    for _ in range(rounds):  # interleaved: one round of each backend in turn
        for b, py in pythons.items():
            for r in run_worker(py, b, "cost", "1"):
                key = (r["job"], r["stream"])
                per.setdefault(key, []).append(1000 * r["cpu_s"] / r["frames"])
                found[key] = r["measured"] / r["frames"]
                faces[r["stream"]] = r["faces"]
    med = {k: statistics.median(v) for k, v in per.items()}
    streams = list(dict.fromkeys(s for _, s in per))
    has_legacy = "legacy" in pythons
    print(f"\n4. cost: CPU ms per frame, one core, median of {rounds} interleaved rounds "
          "(faces/frame: faces measured per frame):")
    head = f"  {'stream':<24} {'pipeline':>9} {'fps':>5} {'faces/fr':>8} {'raw same':>9} {'ratio':>6}"
    if has_legacy:
        head += f" {'raw FM':>8} {'ratio':>6} {'FM faces/fr':>11}"
    print(head)
    for s in streams:
        p = med[("tasks pipeline", s)]
        row = (f"  {s:<24} {p:7.2f}ms {1000 / p:5.0f} {found[('tasks pipeline', s)]:8.2f}"
               f" {med[('raw same models', s)]:7.2f}ms {p / med[('raw same models', s)]:5.2f}x")
        if has_legacy:
            fm = med[("raw Face Mesh", s)]
            row += f" {fm:6.2f}ms {p / fm:5.2f}x {found[('raw Face Mesh', s)]:11.2f}"
        print(row)
    for s in streams:
        if ("tasks pipeline, irises asked", s) in med:
            p = med[("tasks pipeline, irises asked", s)]
            row = f"  {s:<24} {p:7.2f}ms {1000 / p:5.0f}  with every face's irises measured (as a phone user's)"
            if has_legacy:
                row += f": {p / med[('raw Face Mesh', s)]:.2f}x raw FM"
            print(row)
    print("  pipeline: signage's whole sensing pipeline (detector, padding, tiles, landmarks, features,\n"
          "  tracking, aggregation); fps: frames per second one core sustains at that CPU cost;\n"
          "  raw same: the product's two models run as Face Mesh runs its own, nothing else;\n"
          "  raw FM: mediapipe 0.10.18's Face Mesh, stream mode, max_num_faces = the faces in view.")
    spread = max((max(v) - min(v)) / statistics.median(v) for v in per.values())
    print(f"  largest spread between rounds: {100 * spread:.0f}% of the median")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--genki", default="500", help="GENKI images to score: a number (seeded sample) or 'all'")
    ap.add_argument("--legacy-venv", type=Path, default=ROOT / ".venv-legacy")
    ap.add_argument("--make-legacy", action="store_true", help="build the mediapipe 0.10.18 venv and exit")
    ap.add_argument("--only", choices=("photos", "landmarks", "devset", "cost"), action="append")
    args = ap.parse_args()
    if args.make_legacy:
        make_legacy(args.legacy_venv)
        return
    pythons = {"tasks": Path(sys.executable)}
    legacy = args.legacy_venv / "bin" / "python"
    if legacy.exists():
        pythons = {"legacy": legacy, **pythons}
    else:
        print(f"no {legacy}: the 0.10.18 backend is not measured (build it with --make-legacy, Python 3.11/3.12)")
    print("backends: " + ", ".join(f"{b} ({py})" for b, py in pythons.items()))
    jobs = args.only or ["photos", "landmarks", "devset", "cost"]
    if "photos" in jobs:
        photos(pythons)
    if "landmarks" in jobs:
        landmarks(pythons)
    if "devset" in jobs:
        devset(pythons, args.genki)
    if "cost" in jobs:
        cost(pythons, args.rounds)


if __name__ == "__main__":
    main()
