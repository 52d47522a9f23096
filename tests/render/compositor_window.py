"""Run by test_compositor.py in its own process, on the X server named by $DISPLAY.

Opens the real display (SDL's x11 driver) twice: ``display.compositor = "gpu"`` (SDL's
renderer, OpenGL, allowed on a CPU rasteriser) and "surface"; plays the same frames on both (a picture cut in, a crossfade,
the notice on), at rotation 0 and 90; prints, as JSON, which path ran, a digest of every frame
read back, whether each equals the composed canvas turned, and the X server's pixels of the
last frame against the frame read back; then the window made twice as large, the renderer's
scaled picture against OpenCV's bilinear resize; and what "auto" chooses there.
"""

import hashlib
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import pygame  # noqa: E402

from screenkit import CONTENT, DATA, image, rgb  # noqa: E402
from signage.config import DisplayConfig, NoticeConfig  # noqa: E402
from signage.render.display import Display  # noqa: E402
from signage.render.screen import Screen  # noqa: E402
from x11_window import server_pixels  # noqa: E402


def play(compositor: str, rotation: int) -> dict:
    """``compositor`` "gpu": SDL's renderer, even on a CPU rasteriser (Xvfb's OpenGL is Mesa's llvmpipe)."""
    disp = Display(DisplayConfig(driver="x11", fullscreen=False, size=(800, 450), rotation=rotation, vsync=False,
                                 compositor=compositor), allow_software_renderer=compositor == "gpu").open()
    disp.readback = True
    t = [100.0]
    scr = Screen(disp, NoticeConfig(), clock=lambda: t[0])
    digests, equal = [], True
    try:
        scr.show(image(CONTENT / "welcome.png", fit="fill"), wait=True)
        for n in range(6):
            if n == 2:
                scr.show(image(DATA / "grace_hopper.jpg", fit="fit", transition=("crossfade", 0.4)), wait=True)
            t[0] += 0.1
            scr.tick(t[0])
            panel = rgb(disp.panel_image())
            digests.append(hashlib.sha256(panel.tobytes()).hexdigest())
            equal = equal and np.array_equal(np.rot90(panel, rotation // 90), rgb(scr.canvas))
        pygame.event.pump()
        w, h = disp.panel_size
        points = [(x, y) for x in range(3, w, max(1, w // 23)) for y in range(3, h, max(1, h // 17))]
        server = server_pixels(pygame.display.get_wm_info()["window"], points)
        return {"path": disp.compositor, "renderer": disp.presenter.name, "choice": disp.choice.message,
                "frames": len(digests), "digests": digests,
                "equal_to_canvas": bool(equal), "server": server, "drawn": [panel[y, x].tolist() for x, y in points]}
    finally:
        scr.close()
        disp.close()


def scaled() -> dict:
    """The window resized to twice the panel: the renderer scales the turned picture to it."""
    import cv2

    disp = Display(DisplayConfig(driver="x11", fullscreen=False, size=(640, 360), rotation=90, vsync=False,
                                 compositor="gpu"), allow_software_renderer=True).open()
    disp.readback = True
    scr = Screen(disp, NoticeConfig())
    try:
        scr.show(image(CONTENT / "welcome.png", fit="fill"), wait=True)
        scr.tick()
        disp._borrowed_window().size = (1280, 720)
        pygame.event.pump()
        scr.tick()
        out = rgb(disp.panel_image())
        want = cv2.resize(np.ascontiguousarray(np.rot90(rgb(scr.canvas), -1)), (1280, 720), interpolation=cv2.INTER_LINEAR)
        diff = np.abs(out.astype(int) - want)
        return {"size": [out.shape[1], out.shape[0]], "max_diff": int(diff.max()), "mean_diff": float(diff.mean())}
    finally:
        scr.close()
        disp.close()


def main() -> None:
    out = {}
    for compositor, key in (("gpu", "gpu"), ("surface", "surface")):
        runs = {str(rotation): play(compositor, rotation) for rotation in (0, 90)}
        out[key] = {"path": runs["0"]["path"], "renderer": runs["0"]["renderer"], **runs}
    out["gpu"]["scaled"] = scaled()
    auto = Display(DisplayConfig(driver="x11", fullscreen=False, size=(320, 180), vsync=False)).open()
    out["auto"] = {"path": auto.compositor, "choice": auto.choice.message}
    auto.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
