"""The privacy page as one self-contained HTML file (no script, no external resource), the
same bytes served at /privacy and written by `signage privacy --html`."""

from __future__ import annotations

from html import escape

from signage.disclosure.content import Page, pages
from signage.disclosure.facts import Facts

_CSS = """
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;max-width:46rem;
margin:0 auto;padding:1rem 1.2rem 3rem;color:#1c1512;background:#fff}
h1{font-size:1.45rem;line-height:1.25}h2{font-size:1.1rem;margin:1.6rem 0 .3rem}
nav a{margin-right:1rem}.lead{font-size:1.05rem}section.lang{border-top:2px solid #1c1512;margin-top:2rem}
.note{background:#fff3cd;padding:.4rem .6rem}li{margin:.25rem 0}
"""


def _page(p: Page) -> str:
    out = [f'<section class="lang" lang="{p.lang}" id="{p.lang}">', f"<h1>{escape(p.title)}</h1>",
           f'<p class="lead">{escape(p.lead)}</p>']
    if p.note:
        out.append(f'<p class="note">{escape(p.note)}</p>')
    for s in p.sections:
        out.append(f'<h2 id="{p.lang}-{s.key}">{escape(s.title)}</h2>')
        out += [f"<p>{escape(t)}</p>" for t in s.paragraphs]
        if s.bullets:
            out.append("<ul>" + "".join(f"<li>{escape(t)}</li>" for t in s.bullets) + "</ul>")
    out.append("</section>")
    return "\n".join(out)


def page_html(f: Facts) -> str:
    ps = pages(f)
    nav = " ".join(f'<a href="#{p.lang}" hreflang="{p.lang}">{escape(p.title.split(":")[0])}</a>' for p in ps)
    return "\n".join([
        "<!doctype html>", f'<html lang="{ps[0].lang}">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(ps[0].title)} — {escape(f.controller)}</title>", f"<style>{_CSS}</style>", "</head>",
        "<body>", f"<nav>{nav}</nav>" if len(ps) > 1 else "", *(_page(p) for p in ps), "</body>", "</html>", ""])
