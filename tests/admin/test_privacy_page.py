"""/privacy and /privacy/poster.pdf: the second layer, for passers-by, without login (issue 17)."""

import httpx

from signage.disclosure.facts import facts
from signage.disclosure.html import page_html


def test_served_without_login_and_same_as_the_export(server):
    r = httpx.get(f"{server.url}/privacy", follow_redirects=False)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/html")
    assert r.text == page_html(facts(server.settings))
    assert server.settings.notice.controller in r.text
    # the rest of the service still wants a login
    assert httpx.get(f"{server.url}/", follow_redirects=False).status_code == 303


def test_poster_served_as_pdf(server):
    r = httpx.get(f"{server.url}/privacy/poster.pdf")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF-1.4")
    assert httpx.get(f"{server.url}/privacy/poster.pdf").content == r.content  # drawn once, kept
