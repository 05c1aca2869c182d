"""The law's horizon: what a decision can and cannot know about dates after a pack was reviewed.

Two things are decided here, both pure functions of the packs, the transaction's lines and the date:

* **Notices** (``law-past-review``): a decision for a date after a pack's ``reviewed`` date carries a notice
  for each pack with rules whose scope covers one of its lines. The pack cannot know law made after its review;
  the notice says so and does not change the decision.
* **Unconfirmed dates**: a rule window may start or end on a *scheduled* date that was not confirmed when the
  pack was reviewed (``effective_from_confirmed: false``: a suspension's scheduled end re-imposes a measure;
  ``effective_to_confirmed: false``: a suspension or measure is announced to end). For a line on the far side of
  such a date, the engine decides the line in every combination of "the scheduled change happened" and "it did
  not" (a rule with an unconfirmed start then does not apply; a rule with an unconfirmed end still does). When the
  outcome is the same in all of them, nothing changes. When it differs, the line is ``review``: the findings that
  hang on the date become review findings, and ``engine.law-unconfirmed`` says which dates to confirm and what the
  line would be either way. It is never a guess in either direction.

  The far side of an unconfirmed date is on or after it. That covers every date past the review that depends on
  it, and also the days between a scheduled date and a review that still could not confirm it: the review's
  verdict is in the flag, whatever its date.

Scheduled changes are grouped into *events* by pack and switch day (the first day of the new state): the end of
a suspension is one event whether the pack writes it as the end of a review rule, the start of a licence rule, or
both. Rules that continue past an unconfirmed end are matched like every rule, as *shadow* rules with the window
``effective_to + 1 ..`` (same id, same condition), by the same matcher on both backends.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from compliance.evaluate.facts import Line
from compliance.evaluate.match.predicates import CompiledRule, compile_rule
from compliance.evaluate.resolve import SEVERITY, engine_finding, worst
from compliance.evaluate.values import CitationValue, FindingValue, NoticeValue
from compliance.models.decision import Outcome
from compliance.packs.packset import PackRule, PackSet

__all__ = ["LAW_PAST_REVIEW", "LAW_UNCONFIRMED", "Event", "Horizon"]

LAW_PAST_REVIEW = "law-past-review"
LAW_UNCONFIRMED = "engine.law-unconfirmed"

# Past this many independent scheduled changes on one line, every combination is not enumerated: the line is
# review outright (no bundled line comes near it; it bounds the work a hostile pack could cause).
_MAX_EVENTS = 8

Event = tuple[str, dt.date]  # (pack, first day of the scheduled new state)


@dataclass(frozen=True, slots=True)
class _PackReview:
    pack: str
    version: str
    reviewed: dt.date


class Horizon:
    """Built once per pack set with the engine's compiled rules; asked once per decision and per line."""

    def __init__(self, packset: PackSet, rules: Sequence[CompiledRule]) -> None:
        with_rules = {pr.pack for pr in packset.rules}
        # Data-only packs (the catalog) decide nothing, so a date past their review is not a notice.
        self._reviews = tuple(
            _PackReview(p.meta.id, p.meta.version, p.meta.reviewed)
            for p in sorted(packset.packs, key=lambda p: p.meta.id)
            if p.meta.id in with_rules
        )
        self._first_shadow = len(rules)
        self._starts: dict[int, Event] = {}  # rule index -> the event its unconfirmed start depends on
        shadows: list[CompiledRule] = []
        self._shadow_events: dict[int, Event] = {}
        self._shadow_of: dict[int, CompiledRule] = {}
        for compiled in rules:
            rule = compiled.packrule.rule
            if not rule.effective_from_confirmed:
                self._starts[compiled.index] = (compiled.packrule.pack, rule.effective_from)
            if not rule.effective_to_confirmed and rule.effective_to is not None:
                switch = rule.effective_to + dt.timedelta(days=1)
                continued = rule.model_copy(
                    update={"effective_from": switch, "effective_to": None, "effective_to_confirmed": True}
                )
                index = self._first_shadow + len(shadows)
                pr = compiled.packrule
                shadow = compile_rule(index, PackRule(continued, pr.pack, pr.location))
                shadows.append(shadow)
                self._shadow_events[index] = (pr.pack, switch)
                self._shadow_of[index] = compiled
        self.shadows: tuple[CompiledRule, ...] = tuple(shadows)

    # ------------------------------------------------------------------------------------------- notices

    def notices(self, on: dt.date, lines: Sequence[Line]) -> tuple[NoticeValue, ...]:
        """A ``law-past-review`` notice for each pack with rules that covers a line and was reviewed before ``on``."""
        covered: set[str] = set()
        for line in lines:
            covered |= line.facts.scope - line.facts.reach  # not packs that only may reach it (unknown origin)
        return tuple(
            NoticeValue(
                LAW_PAST_REVIEW,
                r.pack,
                r.reviewed,
                f"Pack {r.pack} {r.version} was last reviewed against the law on {r.reviewed}; this decision is for "
                f"{on}. Law made or changed after {r.reviewed} (new listings or rules, suspensions ended or extended) "
                "is not reflected: check for newer law before relying on it.",
            )
            for r in self._reviews
            if on > r.reviewed and r.pack in covered
        )

    # --------------------------------------------------------------------------------- unconfirmed dates

    def shadow_source(self, index: int) -> int:
        """The index of the rule a shadow continues."""
        return self._shadow_of[index].index

    def split(self, indexes: Sequence[int]) -> tuple[list[int], list[int]]:
        """The matcher's answer for a line, as (the rules that fired, the shadows that fired)."""
        first = self._first_shadow
        return [i for i in indexes if i < first], [i for i in indexes if i >= first]

    def involved(self, fired: Sequence[CompiledRule], shadows: Sequence[int]) -> bool:
        """Whether a line needs :meth:`settle`: a rule with an unconfirmed start fired, or a shadow did."""
        return bool(shadows) or any(r.index in self._starts for r in fired)

    def settle(
        self,
        on: dt.date,
        line: int,
        fired: Sequence[CompiledRule],
        shadows: Sequence[int],
        findings: list[FindingValue],
        shared: Sequence[FindingValue],
        resolve: Callable[[Sequence[CompiledRule]], list[FindingValue]],
        reviewed: Callable[[str], dt.date | None],
    ) -> list[FindingValue]:
        """The line's findings once the unconfirmed dates it depends on are taken into account.

        ``findings`` are the line's findings as the packs are written (every scheduled change happened);
        ``resolve`` turns shadow rules into their findings (licences checked) without the engine's own checks.
        """
        starts = {r.packrule.rule.id: self._starts[r.index] for r in fired if r.index in self._starts}
        continuing = [self._shadow_of[i] for i in shadows]
        ended = {self._shadow_of[i].packrule.rule.id: self._shadow_events[i] for i in shadows}
        shadow_findings = {f.rule_id: f for f in resolve([self._shadow(i) for i in shadows])}
        events = sorted(set(starts.values()) | set(ended.values()))
        if not events:
            return findings
        outcomes: dict[frozenset[Event], Outcome] = {}
        if len(events) <= _MAX_EVENTS:
            for n in range(len(events) + 1):
                for missed in itertools.combinations(events, n):
                    not_happened = frozenset(missed)
                    kept = [f for f in findings if starts.get(f.rule_id) not in not_happened]
                    kept += [f for rid, f in shadow_findings.items() if ended[rid] in not_happened]
                    outcomes[not_happened] = worst(f.outcome for f in [*kept, *shared])
            if len(set(outcomes.values())) == 1:
                return findings  # the decision is the same whichever way the dates went
        out: list[FindingValue] = []
        for f in findings:
            event = starts.get(f.rule_id)
            if event is None:
                out.append(f)
                continue
            out.append(
                _as_review(
                    f,
                    f"This applies only if the scheduled change of {event[1]} took effect, which was not confirmed "
                    f"when pack {event[0]} was reviewed ({reviewed(event[0])}); see {LAW_UNCONFIRMED}.",
                )
            )
        for compiled in continuing:
            rid = compiled.packrule.rule.id
            f = shadow_findings[rid]
            end = compiled.packrule.rule.effective_to
            out.append(
                _as_review(
                    f,
                    f"Scheduled to end on {end}, which was not confirmed when pack {compiled.packrule.pack} was "
                    f"reviewed ({reviewed(compiled.packrule.pack)}): if it did not end, this still applies.",
                    prefix=True,
                )
            )
        out.append(self._unconfirmed(line, events, starts, ended, outcomes, fired, continuing, reviewed))
        return out

    def _shadow(self, index: int) -> CompiledRule:
        return self.shadows[index - self._first_shadow]

    def _unconfirmed(
        self,
        line: int,
        events: Sequence[Event],
        starts: dict[str, Event],
        ended: dict[str, Event],
        outcomes: dict[frozenset[Event], Outcome],
        fired: Sequence[CompiledRule],
        continuing: Sequence[CompiledRule],
        reviewed: Callable[[str], dt.date | None],
    ) -> FindingValue:
        parts = []
        for event in events:
            begins = sorted(rid for rid, e in starts.items() if e == event)
            stops = sorted(rid for rid, e in ended.items() if e == event)
            what = []
            if begins:
                what.append(f"{', '.join(begins)} scheduled to apply from {event[1]}")
            if stops:
                what.append(f"{', '.join(stops)} scheduled to end on {event[1] - dt.timedelta(days=1)}")
            parts.append(f"{'; '.join(what)} (pack {event[0]}, reviewed {reviewed(event[0])})")
        if outcomes:
            scheduled = outcomes[frozenset()]
            others = sorted({o for k, o in outcomes.items() if k}, key=lambda o: -SEVERITY[o])
            either = f"As scheduled the line would be {scheduled}; otherwise {' or '.join(others)}."
        else:
            either = "Too many scheduled changes meet on this line to weigh them one by one."
        cites: list[CitationValue] = []
        seen: set[str] = set()
        for compiled in [*[r for r in fired if r.packrule.rule.id in starts], *continuing]:
            for c in compiled.packrule.rule.citations:
                if c.cite not in seen:  # each instrument once, whichever rule cites it
                    seen.add(c.cite)
                    cites.append(CitationValue(c, c.model_dump(mode="json")))
        return engine_finding(
            LAW_UNCONFIRMED,
            line,
            "Decision depends on law not confirmed at review",
            f"Line {line}: the decision depends on scheduled dates that were not confirmed when the packs were "
            f"reviewed: {'; '.join(parts)}. {either} Confirm whether each change took effect (a newer "
            "announcement or rule extending, ending or replacing the measure) before shipping; the rules' notes "
            "name their sources.",
            citations=cites,
        )


def _as_review(f: FindingValue, text: str, *, prefix: bool = False) -> FindingValue:
    message = f"{text} {f.message}" if prefix else f"{f.message} {text}"
    return FindingValue(
        f.rule_id,
        f.pack,
        f.effect,
        "review",
        f.line,
        f.parties,
        f.title,
        message,
        f.citations,
        f.license,
        f.authority,
        f.review_policy,
        f.note,
    )
