"""Share of voice: the rules that fire at one priority, and which of them goes next (pure).

The engine's scan (engine.py, ``_Decider.firing``) collects the rules of the highest priority
that fire into a ``Firing``; ``choose`` then picks the rule furthest behind its weighted share
of the last hour: of the plays (``tally`` = plays per rule, ``unit`` 1) or of the screen time
(``tally`` = microseconds per rule, ``unit`` one second). Rule i's deficit is
``n_i - scale * w_i`` with ``scale = (sum n + unit) / sum w``; the least deficit goes next,
a tie (within 1e-9 unit) broken by a draw weighted by the weights, seeded by the decision's
seed and time.

Cost: 1,000 equal rules that all fire are the costly case, and the work is per rule. So
*plain* rules (no cap, cooldown or schedule, no declared campaign of their own, one creative only the
playlist's ``campaign`` dates can stop) that
share a priority, a condition and a min_play are compiled into a ``Block`` that fires as one,
and a block is weighed by weight class: within one weight the least count is the only
candidate, and a class with a member that has not played (or shown) in the hour has least
count 0, which a set intersection with the tally tells without looking at every member.
The result is the same rule as weighing each of them (tests/playlist/test_engine_golden.py).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from signage.playlist.engine import _Compiled
    from signage.playlist.rules import Predicate

_BIG = 16  # a block this large is weighed by weight class; a smaller one rule by rule
_INF = float("inf")


@dataclass(slots=True)
class Block:
    """Plain rules of one priority, condition and min_play: they fire together or not at all,
    so the scan looks at them once. ``ranks``: each rule's place in the scan order (its file
    index: the scan is sorted by priority, then file order)."""

    rules: list[_Compiled]
    creatives: list[str]
    weights: list[float]
    ids: list[str]
    ranks: list[int]
    big: bool = False
    # (weight, ids, their set, their places in the block), one a distinct weight
    classes: list[tuple[float, list[str], frozenset[str], list[int]]] = field(default_factory=list)
    place: dict[str, int] = field(default_factory=dict)  # rule id -> its place in the block

    @classmethod
    def of(cls, group: list[_Compiled], big: bool = True) -> Block:
        """``big``: weighed by weight class when it is large enough (else rule by rule)."""
        b = cls(group, [g.single for g in group], [g.weight for g in group], [g.id for g in group],
                [g.index for g in group], big and len(group) >= _BIG)
        by_weight: dict[float, list[int]] = {}
        for k, g in enumerate(group):
            by_weight.setdefault(g.weight, []).append(k)
        b.classes = [(w, [group[k].id for k in ks], frozenset(group[k].id for k in ks), ks)
                     for w, ks in by_weight.items()]
        b.place = {g.id: k for k, g in enumerate(group)}
        return b


# what the scan reads of a rule (or a block), as a tuple: unpacked in the loop, faster than attributes
Row = tuple[int, "str | None", "int | None", "dt.timedelta | None", float, "Predicate | None", "Predicate", bool,
            "str | None", "_Compiled | None", "Block | None", "str | None"]  # the last: the rule's declared campaign


def rows(rules: list[_Compiled], always: frozenset[str]) -> list[Row]:
    """The scan of ``rules`` (sorted by priority, then file order). Plain rules of one priority,
    condition and min_play become one block row, at the place of the first of them; other
    rules may come between them when the priority's weights add up exactly in any order
    (multiples of 1/1024), else only consecutive ones are grouped (sum w is then taken in
    scan order, as rule by rule). Plain rules of a declared campaign are grouped per campaign,
    consecutive ones only, into blocks weighed rule by rule: each keeps its place in the scan,
    and the block's row carries the campaign that gates them all."""
    def plain(c: _Compiled) -> bool:
        return c.cap is None and c.cooldown is None and c.schedule is None and c.single in always

    exact: dict[int, bool] = {}
    for c in rules:
        exact[c.priority] = exact.get(c.priority, True) and (c.weight * 1024).is_integer()
    groups: dict[tuple, list[_Compiled]] = {}
    first: dict[int, tuple] = {}  # index in rules of a group's first member -> its key
    key_of: dict[int, tuple] = {}  # index in rules -> its group's key
    run = 0  # consecutive runs get their own key where interleaving is not allowed
    prev: tuple | None = None  # the previous rule's key, when it is plain (no campaign)
    prev_line: tuple | None = None  # the previous rule's key, when it is a campaign's plain rule
    for i, c in enumerate(rules):
        if not plain(c):
            prev = prev_line = None
            continue
        key: tuple = (c.priority, id(c.when), c.min_play)
        if c.campaign is not None:
            key = key + (c.campaign,)
            if key != prev_line:
                run += 1
            prev, prev_line = None, key
            key = key + (run,)
        elif not exact[c.priority]:
            if key != prev:
                run += 1
            prev, prev_line = key, None
            key = key + (run,)
        else:
            prev_line = None
        if key not in groups:
            groups[key] = []
            first[i] = key
        groups[key].append(c)
        key_of[i] = key
    out: list[Row] = []
    for i, c in enumerate(rules):
        if i in first and len(groups[first[i]]) > 1:
            group = groups[first[i]]
            out.append((c.priority, None, None, None, c.min_play, None, c.when, True, None, None,
                        Block.of(group, big=c.campaign is None), c.campaign))
        elif i not in key_of or len(groups[key_of[i]]) == 1:
            out.append((c.priority, c.id, c.cap, c.cooldown, c.min_play, c.schedule, c.when, c.shared, c.single, c,
                        None, c.campaign))
    return out


@dataclass(slots=True)
class Firing:
    """The rules that fire at one priority, with (same index) the creative each would play,
    its weight and its rank (scan order); ``blocks``: (offset, block) of the big blocks among
    them, ``loose``: the offsets of the others. ``tally``: rule -> plays in the last hour, or
    microseconds on screen (no zero entries); ``unit``: one play, or one second, in it."""

    rules: list[_Compiled] = field(default_factory=list)
    creatives: list[str] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)
    ranks: list[int] = field(default_factory=list)
    blocks: list[tuple[int, Block]] = field(default_factory=list)
    loose: list[int] = field(default_factory=list)
    tally: dict[str, int] = field(default_factory=dict)
    unit: int = 1

    def add_block(self, b: Block) -> None:
        off = len(self.rules)
        self.rules += b.rules
        self.creatives += b.creatives
        self.weights += b.weights
        self.ranks += b.ranks
        if b.big:
            self.blocks.append((off, b))
        else:
            self.loose += range(off, off + len(b.rules))

    def add(self, c: _Compiled, creative: str) -> None:
        self.loose.append(len(self.rules))
        self.rules.append(c)
        self.creatives.append(creative)
        self.weights.append(c.weight)
        self.ranks.append(c.index)


class _Draw:
    """The first draw of ``random.Random(key)``, for ``random.Random.choices`` (which draws once
    for one choice): the same choice as that seeded generator's, without seeding one for each of
    a decision's choices (a campaign's pacing may weigh twenty)."""

    __slots__ = ("key", "u")

    def __init__(self, key: str) -> None:
        self.key = key
        self.u = random.Random(key).random()

    def random(self) -> float:
        return self.u


_last = _Draw("")


def _draw(seed: int, now: dt.datetime) -> _Draw:
    """The draw of the decision at ``now`` with ``seed`` (the last one kept: one object, swapped whole)."""
    global _last
    key = f"{seed}:{now.isoformat()}"
    d = _last
    if d.key != key:
        d = _last = _Draw(key)
    return d


def choose(f: Firing, seed: int, now: dt.datetime) -> int:
    """The index in ``f`` of the rule that goes next (see the module's docstring)."""
    if len(f.rules) == 1:
        return 0
    tally, weights = f.tally, f.weights
    get, keys, item = tally.get, tally.keys(), tally.__getitem__
    total = 0
    least: dict[float, int | float] = {}  # weight -> least count among the rules of that weight
    classes: list[tuple[int, Block, float, Any, int]] = []  # (offset, block, weight, class, its least count)
    for off, b in f.blocks:
        for cls in b.classes:
            w, ids, idset, _ = cls
            counted = idset & keys
            total += sum(map(item, counted))
            m = 0 if len(counted) < len(ids) else min(map(item, ids))
            classes.append((off, b, w, cls, m))
            if m < least.get(w, _INF):
                least[w] = m
    rules = f.rules
    loose = [(p, get(rules[p].id, 0)) for p in f.loose]
    for p, n in loose:
        total += n
        w = weights[p]
        if n < least.get(w, _INF):
            least[w] = n
    scale = (total + f.unit) / sum(weights)  # the sum in scan order when blocks may interleave: see rows()
    deficit = {w: m - scale * w for w, m in least.items()}
    cut = min(deficit.values()) + 1e-9 * f.unit
    tied_w = {w for w, d in deficit.items() if d < cut}
    tied = [p for p, n in loose if n == least.get(weights[p]) and weights[p] in tied_w]
    sources = 1 if tied else 0  # how many parts of f the ties come from (each in rank order)
    for off, b, w, (_, ids, idset, places), m in classes:
        if w in tied_w and m == least[w]:
            sources += 1
            if m == 0:  # those that have not played: the set difference, put back in block order
                ks = sorted(map(b.place.__getitem__, idset - keys))
            else:
                ks = [k for k, i in zip(places, ids) if get(i, 0) == m]
            tied += ks if not off else [off + k for k in ks]
    if len(tied) > 1:
        if sources > 1:
            tied.sort(key=f.ranks.__getitem__)
        w = weights[tied[0]]
        tied = random.Random.choices(_draw(seed, now), tied,
                                     weights=[w] * len(tied) if len(tied_w) == 1 else [weights[i] for i in tied])
    return tied[0]
