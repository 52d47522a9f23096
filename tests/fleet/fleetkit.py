"""Helpers of the agent's tests: a real HTTP server of content files by sha256 (http.server in a
thread), and small valid bundles (a playlist and its PNG creatives) as manifests."""

from __future__ import annotations

import hashlib
import http.server
import threading

import io

import pygame

from signage.fleet.messages import FileRef, Manifest


def png(colour=(40, 120, 200), w: int = 320, h: int = 180) -> bytes:
    """A plain picture of one colour with a lighter band (PNG bytes, drawn by pygame)."""
    surface = pygame.Surface((w, h))
    surface.fill(colour)
    surface.fill((250, 250, 250), pygame.Rect(0, h // 3, w, h // 3))
    out = io.BytesIO()
    pygame.image.save(surface, out, "png")
    return out.getvalue()


def playlist_yaml(name: str, ids: list[str]) -> str:
    creatives = "\n".join(f"  - {{id: {i}, type: image, source: {i}.png}}" for i in ids)
    return f"name: {name}\ndefaults: {{duration: 3s, transition: cut}}\ncreatives:\n{creatives}\nloop: [{', '.join(ids)}]\n"


def bundle(name: str, ids: list[str], shade: int = 0) -> dict[str, bytes]:
    files = {"playlist.yaml": playlist_yaml(name, ids).encode()}
    for n, i in enumerate(ids):
        files[f"{i}.png"] = png(colour=(40 * n + shade, 120, 200 - len(i)))
    return files


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest(version: str, files: dict[str, bytes]) -> Manifest:
    return Manifest(version=version, playlist="playlist.yaml",
                    files=[FileRef(path=p, sha256=sha(d), size=len(d)) for p, d in files.items()])


class ContentServer:
    """Serves ``files[sha256]`` at ``/<sha256>``. ``wrong[sha]``: other bytes under that name;
    ``cut[sha]``: the full Content-Length announced, half the bytes sent, then the connection
    dropped (a server that dies mid-file). ``requests`` lists the names asked for."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.wrong: dict[str, bytes] = {}
        self.cut: set[str] = set()
        self.requests: list[str] = []
        kit = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                name = self.path.rsplit("/", 1)[-1]
                kit.requests.append(name)
                data = kit.wrong.get(name, kit.files.get(name))
                if data is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if name in kit.cut:
                    self.wfile.write(data[: len(data) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/content"

    def add(self, files: dict[str, bytes]) -> None:
        for data in files.values():
            self.files[sha(data)] = data

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
