"""Simulating an uploaded playlist against audience scenarios, before it can be activated.

The scenarios are the bundled examples (``playlists/scenarios``, or ``admin.scenarios_dir``)
and the bundle's own (``scenario.yaml``, ``scenarios/*.yaml``). Each result keeps the
timeline (up to ``TIMELINE_LIMIT`` plays) and the summary: plays, screen time and share per
creative, firings per rule, rules that never fired.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from signage.playlist.schema import Playlist
from signage.playlist.simulate import Scenario, ScenarioError, load_scenario, report_json, simulate

__all__ = ["EXAMPLE_SCENARIOS", "ScenarioSource", "brief", "example_scenarios", "load_scenarios", "run_simulations",
           "scenario_length", "simulate_one"]

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


def simulate_one(playlist: Playlist, source: ScenarioSource, max_s: float,
                 progress: Callable[[float], None] | None = None) -> dict[str, Any]:
    """One scenario's entry: the report (timeline cut to TIMELINE_LIMIT plays) or an error."""
    try:
        length = min(source.scenario.default_duration(), max_s)
        result = simulate(playlist, source.scenario, duration=length, progress=progress)
    except (ValueError, OverflowError) as exc:
        return {"scenario": source.label, "error": str(exc)}
    report = report_json(result)
    n = len(report["timeline"])
    report["timeline"] = report["timeline"][:TIMELINE_LIMIT]
    return {"scenario": source.label, "plays": len(result.plays()), "entries": n,
            "truncated": n > TIMELINE_LIMIT, "report": report}


def scenario_length(source: ScenarioSource, max_s: float) -> float:
    try:
        return min(source.scenario.default_duration(), max_s)
    except (ValueError, OverflowError):
        return 0.0


def run_simulations(playlist: Playlist, scenarios: list[ScenarioSource], max_s: float) -> list[dict[str, Any]]:
    """One entry per scenario (in this process: the service runs them in ``sim_worker``)."""
    return [simulate_one(playlist, s, max_s) for s in scenarios]


def brief(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the version list keeps of each simulation: plays, shares, never-fired rules."""
    out = []
    for r in results:
        if "report" not in r:  # could not be simulated, or stopped at the CPU or time limit
            out.append({k: r[k] for k in ("scenario", "error", "stopped") if k in r})
            continue
        s = r["report"]["summary"]
        out.append({"scenario": r["scenario"], "plays": r["plays"],
                    "share": {cid: c["share"] for cid, c in s["creatives"].items()},
                    "never_fired": s["never_fired"], "idle_s": s["idle_s"]})
    return out
