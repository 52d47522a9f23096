"""Simulating an uploaded playlist against audience scenarios, before it can be activated.

The scenarios are the bundled examples (``playlists/scenarios``, or ``admin.scenarios_dir``)
and the bundle's own (``scenario.yaml``, ``scenarios/*.yaml``). Each result keeps the
timeline (up to ``TIMELINE_LIMIT`` plays) and the summary: plays, screen time and share per
creative, firings per rule, rules that never fired.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from signage.playlist.schema import Playlist
from signage.playlist.simulate import Scenario, ScenarioError, load_scenario, report_json, simulate

__all__ = ["EXAMPLE_SCENARIOS", "ScenarioSource", "example_scenarios", "load_scenarios", "run_simulations"]

EXAMPLE_SCENARIOS = Path(__file__).resolve().parent.parent.parent / "playlists" / "scenarios"
TIMELINE_LIMIT = 400


@dataclass(frozen=True)
class ScenarioSource:
    label: str  # "example: lunch-rush.yaml", "bundle: scenarios/rush.yaml"
    scenario: Scenario


def example_scenarios(folder: str | Path | None = None) -> list[Path]:
    d = Path(folder) if folder else EXAMPLE_SCENARIOS
    if not d.is_dir():
        return []
    return sorted(p for p in d.iterdir() if p.suffix.lower() in (".yaml", ".yml") and p.is_file())


def load_scenarios(paths: list[Path], kind: str, base: Path | None = None) -> tuple[list[ScenarioSource], list[tuple[str, str]]]:
    """(scenarios, problems as (file, message))."""
    out, problems = [], []
    for p in paths:
        name = p.relative_to(base).as_posix() if base else p.name
        try:
            out.append(ScenarioSource(f"{kind}: {name}", load_scenario(p)))
        except ScenarioError as exc:
            problems.append((name, str(exc)))
    return out, problems


def run_simulations(playlist: Playlist, scenarios: list[ScenarioSource], max_s: float) -> list[dict[str, Any]]:
    """One entry per scenario: the report (timeline cut to TIMELINE_LIMIT plays) or an error."""
    results = []
    for s in scenarios:
        try:
            length = min(s.scenario.default_duration(), max_s)
            result = simulate(playlist, s.scenario, duration=length)
        except (ValueError, OverflowError) as exc:
            results.append({"scenario": s.label, "error": str(exc)})
            continue
        report = report_json(result)
        n = len(report["timeline"])
        report["timeline"] = report["timeline"][:TIMELINE_LIMIT]
        results.append({"scenario": s.label, "plays": len(result.plays()), "entries": n,
                        "truncated": n > TIMELINE_LIMIT, "report": report})
    return results


def brief(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the version list keeps of each simulation: plays, shares, never-fired rules."""
    out = []
    for r in results:
        if "error" in r:
            out.append({"scenario": r["scenario"], "error": r["error"]})
            continue
        s = r["report"]["summary"]
        out.append({"scenario": r["scenario"], "plays": r["plays"],
                    "share": {cid: c["share"] for cid, c in s["creatives"].items()},
                    "never_fired": s["never_fired"], "idle_s": s["idle_s"]})
    return out
