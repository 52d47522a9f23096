"""The simulated timeline as an SVG: parsed back with xml.etree, from real simulations."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from signage.admin.timeline_svg import timeline_svg
from signage.playlist.schema import Playlist
from signage.playlist.simulate import simulate
from signage.playlist.timeline import report_json

NS = {"s": "http://www.w3.org/2000/svg"}
SCENARIO = {"name": "door opens", "start": "2026-12-09T09:00", "duration": "30m",
            "timeline": [{"at": "0s", "faces": 0}, {"at": "10m", "faces": 3, "watchers": 2, "smile_ratio": 0.8},
                         {"at": "20m", "faces": 0}]}


def playlist() -> Playlist:
    return Playlist.model_validate({
        "name": "Acme", "defaults": {"duration": "10s", "transition": "cut"},
        "creatives": [{"id": "hello", "type": "image", "source": "hello.png"},
                      {"id": "offer", "type": "image", "source": "offer.png", "duration": "20s"}],
        "loop": ["hello"],
        "rules": [{"id": "smiles", "when": {"smile_ratio": ">= 0.5"}, "play": "offer", "priority": 5},
                  {"id": "crowd", "when": {"faces": ">= 50"}, "play": "hello"}]})


def svg_of(pl: Playlist, **extra) -> ET.Element:
    report = report_json(simulate(pl, SCENARIO))
    return ET.fromstring(timeline_svg({"scenario": "bundle: door.yaml", "report": report, **extra})), report


def bars(root: ET.Element) -> list[ET.Element]:
    return root.findall(".//s:rect[@class='bar']", NS)


def test_a_bar_per_play_in_its_rules_lane_with_a_width_proportional_to_its_time():
    root, report = svg_of(playlist())
    plays = [e for e in report["timeline"]]
    assert len(bars(root)) == len(plays) > 3
    by_rule = {b.get("data-rule") for b in bars(root)}
    assert by_rule == {"", "smiles"}  # the loop and the rule that fired; 'crowd' never did
    labels = [t.text for t in root.findall(".//s:text[@class='lane-label']", NS)]
    assert "smiles" in labels and "crowd (never fired)" in labels and "(default loop)" in labels
    # widths: proportional to seconds on screen (one scale for every bar)
    ratios = {round(float(b.get("width")) / float(b.get("data-seconds")), 3) for b in bars(root)
              if float(b.get("data-seconds")) > 1}
    assert len(ratios) == 1
    # the 20 s offer is twice as wide as a 10 s hello
    offer = next(b for b in bars(root) if b.get("data-creative") == "offer" and abs(float(b.get("data-seconds")) - 20) < 0.01)
    hello = next(b for b in bars(root) if b.get("data-creative") == "hello" and abs(float(b.get("data-seconds")) - 10) < 0.01)
    assert abs(float(offer.get("width")) - 2 * float(hello.get("width"))) < 0.05
    # the whole plot is 30 minutes wide: the bars add up to it
    total = sum(float(b.get("width")) for b in bars(root))
    lane = root.find(".//s:rect[@class='lane']", NS)
    assert abs(total - float(lane.get("width"))) < 0.6 * len(bars(root))
    # colours by creative, named in the legend
    colours = {b.get("data-creative"): b.get("fill") for b in bars(root)}
    assert len(set(colours.values())) == 2
    legend = [t.text for t in root.findall(".//s:g[@class='legend']/s:text", NS)]
    assert legend == ["hello", "offer"]


def test_ticks_and_audience_steps_are_marked():
    root, _ = svg_of(playlist())
    ticks = [t.text for t in root.findall(".//s:g[@class='tick']/s:text", NS)]
    assert ticks[0] == "09:00" and "09:30" in ticks and len(ticks) >= 4
    steps = root.findall(".//s:g[@class='step']", NS)
    assert [g.get("data-step") for g in steps] == ["0", "1", "2"]
    assert "faces 3" in steps[1].find("s:title", NS).text


def test_names_are_escaped_a_script_rule_is_text():
    # ids are limited by the playlist's schema; the scenario's name is free text, and the drawing
    # escapes everything whatever the stored simulation holds
    report = report_json(simulate(playlist(), SCENARIO))
    evil_rule, evil_creative = "<script>alert(1)</script>", 'x" onload="alert(2)'
    for e in report["timeline"]:
        e["rule"] = evil_rule if e["rule"] == "smiles" else e["rule"]
        e["creative"] = evil_creative if e["creative"] == "offer" else e["creative"]
    report["summary"]["rules"] = {evil_rule: {"fired": 1, "enabled": True}, "crowd": {"fired": 0, "enabled": True}}
    report["summary"]["creatives"] = {"hello": {}, evil_creative: {}}
    report["scenario"] = "</title><script>alert(3)</script>"
    text = timeline_svg({"report": report})
    root = ET.fromstring(text)
    assert root.findall(".//s:script", NS) == [] and root.findall(".//script") == []
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert any(b.get("data-rule") == evil_rule for b in bars(root))
    assert any(b.get("data-creative") == evil_creative for b in bars(root))
    for el in root.iter():
        assert not any(k.lower().startswith("on") for k in el.attrib)
    assert evil_rule in [t.find("s:title", NS).text for t in root.findall(".//s:text[@class='lane-label']", NS)]


def test_a_cut_timeline_is_drawn_to_its_last_play_and_says_so():
    report = report_json(simulate(playlist(), SCENARIO))
    report["timeline"] = report["timeline"][:4]
    root = ET.fromstring(timeline_svg({"report": report, "truncated": True}))
    assert len(bars(root)) == 4
    assert any("first 4 plays" in (t.text or "") for t in root.iter("{http://www.w3.org/2000/svg}text"))
    right = max(float(b.get("x")) + float(b.get("width")) for b in bars(root))
    lane = root.find(".//s:rect[@class='lane']", NS)
    assert abs(right - (float(lane.get("x")) + float(lane.get("width")))) < 1
