"""A PDF of pictures, one page each (the poster): pages are RGB images compressed with zlib
(FlateDecode), placed at a given page size in points. Enough of PDF 1.4 for any viewer and
printer; no dependency. Pure: bytes in, bytes out."""

from __future__ import annotations

import zlib

A4_PT = (595.28, 841.89)  # 210 x 297 mm


def image_pdf(pages: list[tuple[int, int, bytes]], page_pt: tuple[float, float] = A4_PT, title: str = "") -> bytes:
    """``pages``: (width, height, RGB bytes row by row); each image fills a page of ``page_pt``."""
    if not pages:
        raise ValueError("a PDF needs at least one page")
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)  # object numbers start at 1

    info = add(b"<< /Producer (signage) /Title " + _text(title) + b" >>")
    catalog = add(b"")  # filled in once the page tree's number is known
    kids: list[int] = []
    tree = add(b"")
    pw, ph = page_pt
    for i, (w, h, rgb) in enumerate(pages):
        if len(rgb) != w * h * 3:
            raise ValueError(f"page {i + 1}: {len(rgb)} bytes for {w}x{h} RGB")
        data = zlib.compress(rgb, 9)
        image = add(b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB "
                    b"/BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n" % (w, h, len(data))
                    + data + b"\nendstream")
        draw = b"q %.2f 0 0 %.2f 0 0 cm /Im0 Do Q" % (pw, ph)
        content = add(b"<< /Length %d >>\nstream\n" % len(draw) + draw + b"\nendstream")
        kids.append(add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %.2f %.2f] /Contents %d 0 R "
                        b"/Resources << /XObject << /Im0 %d 0 R >> >> >>" % (tree, pw, ph, content, image)))
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % tree
    objects[tree - 1] = (b"<< /Type /Pages /Count %d /Kids [" % len(kids)
                         + b" ".join(b"%d 0 R" % k for k in kids) + b"] >>")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, catalog, info, xref)
    return bytes(out)


def _text(s: str) -> bytes:
    """A PDF text string: UTF-16BE with its byte-order mark, as a hex string (any script)."""
    return b"<" + ("\ufeff" + s).encode("utf-16-be").hex().upper().encode() + b">"
