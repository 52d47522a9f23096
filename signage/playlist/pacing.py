"""Pacing toward campaigns' hourly minimums: the engine's part of campaigns (pure).

``scans`` compiles, per paced campaign, what can play it (its rules as the engine's scan rows,
its loop slots, its longest creative); ``pace`` is the decision, after the engine's own choice
(see its docstring and docs/playlists.md, "Campaigns"). The campaigns' counts and state are
campaigns.py's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from signage.playlist.campaigns import CampaignPlan, micros, naive
from signage.playlist.voice import Firing

@dataclass(frozen=True, slots=True)
class CampaignScan:
    """What can play a campaign: its rules (the engine's scan rows), its loop slots, and
    the longest of its creatives."""

    rows: list
    slots: tuple[int, ...]
    longest: float
    rules: frozenset[str] = frozenset()  # the ids of those rules


def scans(plan: CampaignPlan, rules: list, always: frozenset[str], rows_of: Callable, loop: list[str],
          duration: dict[str, float]) -> dict[str, CampaignScan]:
    """Per paced campaign: the compiled rules that may bill to it (sorted as the engine's),
    as scan rows; its loop slots; its longest creative."""
    out = {}
    for cid in plan.paced:
        mine = [c for c in rules if plan.rule_campaign.get(c.id) == cid or
                (c.id not in plan.rule_bills and any(plan.creative_campaign.get(x) == cid for x in c.creatives))]
        slots = tuple(i for i, x in enumerate(loop) if plan.creative_campaign.get(x) == cid)
        lengths = [duration[x] for c in mine for x in c.creatives] + [duration[loop[i]] for i in slots]
        out[cid] = CampaignScan(rows_of(mine, always), slots, max(lengths, default=0.0), frozenset(c.id for c in mine))
    return out


def owners(scans: dict[str, CampaignScan]) -> dict[str, tuple[str, ...]]:
    """Rule id -> the paced campaigns it may bill to (a rule without a campaign_id, to each of its
    creatives' campaigns)."""
    out: dict[str, tuple[str, ...]] = {}
    for cid, scan in scans.items():
        for rid in scan.rules:
            out[rid] = out.get(rid, ()) + (cid,)
    return out


def _among_best(engine, d, cid: str) -> Firing | None:
    """The campaign's rules that fire at the priority of the engine's own choice, as its scan
    would find them (the same rules, creatives and order), taken from the engine's scan; None
    when none of its rules fired there.

    The engine's scan looked at every rule of that priority and above, so a campaign's scan
    finds its rules there or lower. Its rules are never in a weighed-by-class block (voice.rows),
    so they are among the Firing's loose ones, in scan order."""
    f = d.main
    if f is None or not f.rules:
        return None
    by = d.lines
    if by is None:
        by = d.lines = {}
        owner, rules = engine._scan_owner, f.rules
        for p in f.loose:
            for k in owner.get(rules[p].id, ()):
                by.setdefault(k, []).append(p)
    ps = by.get(cid)
    if not ps:
        return None
    sub = Firing(tally=f.tally, unit=f.unit)
    for p in ps:
        sub.rules.append(f.rules[p])
        sub.creatives.append(f.creatives[p])
        sub.weights.append(f.weights[p])
        sub.ranks.append(f.ranks[p])
    sub.loose = list(range(len(ps)))
    return sub


def _candidate(engine, d, cid: str, seed: int, floor: int | None = None):
    """The campaign's next play now: (creative, compiled rule or None, loop slot or None,
    the priority it plays at): its rules that fire first (share of voice among them), else
    the eligible loop item it played least recently (at priority 0).

    ``floor``: the priority of the engine's own choice (d.main). Its rules that fire there are
    taken from the engine's scan (_among_best); above 0, None when none of them does (what
    fires lower, or its loop item, could not beat that choice)."""
    plan, scan = engine._plan, engine._scan_campaign[cid]
    f = _among_best(engine, d, cid) if scan.rows else None
    if floor is not None and floor > 0:  # floor: the priority of the engine's choice, d.main's
        if f is None:
            return None  # its rules fire lower, if at all
        c, creative = d.share(f, seed)
        return (creative, c, None, c.priority) if plan.campaign_of(c.id, creative) == cid else None
    if scan.rows:
        if f is None:
            f = d.firing(scan.rows)
        if f.rules:
            c, creative = d.share(f, seed)
            if plan.campaign_of(c.id, creative) == cid:
                return creative, c, None, c.priority
    best = None
    for slot in scan.slots:
        creative = engine._loop[slot]
        if d.eligible(creative):
            last = d.hist.creative_last_start(creative)
            key = (last is not None, last or d.now, slot)
            if best is None or key < best[0]:
                best = (key, creative, slot)
    return (best[1], None, best[2], 0) if best is not None else None


def _first_two(t: tuple) -> tuple:
    return t[0], t[1]


def pace(engine, d, best, seed: int):
    """At a play decision (never while something plays: pacing does not interrupt), the
    play of a campaign behind its hourly minimum that goes ahead of the engine's own choice
    ``best`` (a rule and creative, or None: the loop), if any: (creative, Rule or None, loop
    slot or None, why).

    A campaign's play goes ahead of the loop, and of a rule whose priority is at most the
    priority it plays at (its own rule's; 0 from the loop). Of several campaigns behind, the
    one with the least slack goes first. ``engine``/``d``: the PlaylistEngine and its
    _Decider (engine.py), whose compiled parts this reads."""
    plan: CampaignPlan = engine._plan
    if best is not None:
        rule, creative = best
        floor, normal = rule.priority, plan.campaign_of(rule.id, creative)
    else:
        slot = d.next_in_loop()
        if slot is None:
            return None  # nothing eligible: a campaign's play neither
        creative = engine._loop[slot]
        floor, normal = None, plan.campaign_of(None, creative)
    owing = d.campaigns.owing
    if not owing or (len(owing) == 1 and owing[0].cid == normal):
        return None
    wait = engine._duration[creative]
    now_us = micros(naive(d.ctx.local))
    behind = []  # (its least slack: with its longest creative, its place in the plan, Pace, Owed)
    for i, p in enumerate(owing):
        if p.cid == normal or not p.live:
            continue  # what plays next is the campaign's anyway, or it may not play now
        o = p.owed(now_us, wait)
        least = o.behind(engine._scan_campaign[p.cid].longest, wait)
        if least is not None:  # else not behind even with its longest creative
            behind.append((least, i, p, o))
    behind.sort(key=_first_two)
    chosen = None  # the least (slack, place in the plan) so far, then what it plays
    for least, i, p, o in behind:
        if chosen is not None and (least, i) > chosen[:2]:
            break  # neither it nor any after it can have less slack (or as little, earlier in the plan)
        cand = _candidate(engine, d, p.cid, seed, floor)
        if cand is None or (floor is not None and cand[3] < floor):
            continue
        slack = o.behind(engine._duration[cand[0]], wait)
        if slack is not None and (chosen is None or (slack, i) < chosen[:2]):
            chosen = (slack, i, p.cid, cand, p.hour, o.goal)
    if chosen is None:
        return None
    _, _, cid, (creative, c, slot, _p), hour, goal = chosen
    return creative, c.rule if c is not None else None, slot, \
        f"campaign {cid} behind its pace ({hour} of {goal} plays this hour)"
