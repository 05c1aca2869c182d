"""The Engine: load and compile packs once, then evaluate transactions many times.

Below ``Engine`` the hot path is pure: no I/O, clock or environment; the decision depends only on the
transaction, the packs and ``as_of``. Inside, a decision is a plain value (:mod:`compliance.evaluate.values`);
:meth:`Engine.evaluate` returns the pydantic contract, :meth:`Engine.decide` the value for writers that
render it themselves.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType

from compliance._version import __version__
from compliance.errors import Location, PackError, Problem
from compliance.evaluate.enrich import Enricher
from compliance.evaluate.facts import Line, PartyFacts
from compliance.evaluate.horizon import Horizon
from compliance.evaluate.hs import hs_findings
from compliance.evaluate.match import Matcher, MatchError, make_matcher
from compliance.evaluate.match.base import RulesetTooLarge
from compliance.evaluate.match.memo import MemoMatcher, segments
from compliance.evaluate.match.predicates import CompiledRule, compile_rule
from compliance.evaluate.ownership import owner_findings, owner_rules_from
from compliance.evaluate.resolve import (
    SEVERITY,
    LicenseFacts,
    engine_finding,
    license_facts,
    line_value,
    resolve_line,
    unnamed_listings,
    worst,
)
from compliance.evaluate.values import CitationValue, DecisionValue, FindingValue, citation_value, to_model
from compliance.intake import transaction_from_mapping
from compliance.models.decision import Decision, PackRef
from compliance.models.pack import Product
from compliance.models.transaction import Transaction
from compliance.packs.load import load_packs
from compliance.packs.packset import PackSet

__all__ = ["Engine"]


class Engine:
    """Evaluates transactions against a frozen pack set.

    >>> engine = Engine.from_directory("rules")          # doctest: +SKIP
    >>> engine.evaluate(tx).decision                      # doctest: +SKIP
    'deny'
    """

    def __init__(self, packset: PackSet, *, backend: str = "durable", memoize: bool = True) -> None:
        self.packset = packset
        self.backend = backend
        self.rules: tuple[CompiledRule, ...] = tuple(compile_rule(i, r) for i, r in enumerate(packset.rules))
        # Rules past an unconfirmed end are matched too, as shadows (evaluate/horizon.py).
        self._horizon = Horizon(packset, self.rules)
        self._enricher = Enricher(packset)
        self._citations = _citations(packset)
        self._lists = {lid: (pl.title, pl.pack) for lid, pl in packset.party_lists.items()}
        self._follows = {p.meta.id: tuple(p.meta.scope.origins) for p in packset.packs}
        # A complement pack (us-ear-fdp) stands for the pack it complements when deciding whose lists apply.
        self._stands_for = {p.meta.id: p.meta.scope.complement_of for p in packset.packs if p.meta.scope.complement_of}
        for shadow in self._horizon.shadows:
            original = self.rules[self._horizon.shadow_source(shadow.index)].packrule.rule
            self._citations[id(shadow.packrule.rule)] = self._citations[id(original)]
        self._reviewed = {p.meta.id: p.meta.reviewed for p in packset.packs}
        self._owner_from = owner_rules_from(self.rules)
        try:
            self._matcher: Matcher = self._build_matcher(backend, memoize)
        except RulesetTooLarge as exc:
            problems = [
                Problem(
                    packset.locations.get(rid, Location("rules")),
                    "ruleset-too-large",
                    f"rule {rid}: {exc}",
                    help="move long value lists into a country group, party list or catalog tag",
                )
                for rid, _n in exc.biggest
            ]
            raise PackError(problems) from None
        self.pack_refs: tuple[PackRef, ...] = tuple(
            PackRef(id=p.meta.id, version=p.meta.version, sha256=p.sha256) for p in packset.packs
        )

    def _build_matcher(self, backend: str, memoize: bool) -> Matcher:
        name = self.packset.sha256[:16]
        matched = self.rules + self._horizon.shadows
        if not memoize:
            return make_matcher(backend, matched, name)
        parts: list[tuple[list[CompiledRule], Matcher]] = []
        try:
            for n, rules in enumerate(segments(matched)):
                parts.append((rules, make_matcher(backend, rules, f"{name}_{n}")))
        except BaseException:
            for _rules, matcher in parts:
                matcher.close()
            raise
        return MemoMatcher(parts)

    @classmethod
    def from_directory(cls, *roots: str | Path, backend: str = "durable", memoize: bool = True) -> Engine:
        """Load every pack under ``roots`` (default ``rules``); raises :class:`PackError` on any problem."""
        return cls(load_packs(roots or ("rules",)), backend=backend, memoize=memoize)

    def reload(self, *roots: str | Path) -> Engine:
        """A new engine on freshly loaded packs; this one keeps working until the caller swaps it."""
        return type(self).from_directory(*roots, backend=self.backend, memoize=isinstance(self._matcher, MemoMatcher))

    def close(self) -> None:
        self._matcher.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def evaluate(self, tx: Transaction | Mapping[str, object], *, as_of: dt.date | None = None) -> Decision:
        """Decide one transaction as of ``as_of`` (default: the transaction's own ``date``)."""
        return to_model(self.decide(tx, as_of=as_of))

    def evaluate_many(
        self, txs: Iterable[Transaction | Mapping[str, object]], *, as_of: dt.date | None = None
    ) -> Iterator[Decision]:
        for tx in txs:
            yield self.evaluate(tx, as_of=as_of)

    def decide(self, tx: Transaction | Mapping[str, object], *, as_of: dt.date | None = None) -> DecisionValue:
        """Like :meth:`evaluate`, as a plain value (``compliance.evaluate.values``) for writers that render it."""
        if not isinstance(tx, Transaction):
            tx = transaction_from_mapping(tx)
        on = as_of or tx.date
        parties, lines = self._enricher.enrich(tx, on)
        shared = self._transaction_findings(on, parties)
        try:
            fired = self._matcher.match([line.facts for line in lines])
        except MatchError as exc:
            # Fail closed: nothing can be said about any line, so every line goes to review.
            rules = f" (rules {', '.join(exc.rule_ids)})" if exc.rule_ids else ""
            shared.append(
                engine_finding(
                    "engine.match-error",
                    None,
                    "Rules could not be evaluated",
                    f"The matching engine failed ({exc}){rules}; the transaction must be reviewed by hand.",
                )
            )
            fired = [() for _ in lines]
        licenses = license_facts(tx, self.packset.catalog) if tx.licenses else ()
        resolved = []
        for line, indexes in zip(lines, fired, strict=True):
            real, shadows = self._horizon.split(indexes)
            applied = [self.rules[i] for i in real]
            line_findings = resolve_line(
                tx, on, line, applied, parties, licenses, self._citations, lines, self._follows
            )
            if line.hs_candidates or line.hs_conflict:
                line_findings += hs_findings(line, self._covers(tx, line))
            if self._horizon.involved(applied, shadows):
                line_findings = self._horizon.settle(
                    on,
                    line.number,
                    applied,
                    shadows,
                    line_findings,
                    shared,
                    self._resolver(tx, on, line, parties, licenses, lines),
                    self._reviewed.get,
                )
            resolved.append((line, line_findings))
        if parties.listed:
            # A listed party no rule named, in whatever role, is reviewed (lists of packs that apply).
            in_play = frozenset(q for line in lines for p in line.facts.scope for q in (p, self._stands_for.get(p, p)))
            everything = [f for _line, fs in resolved for f in fs] + shared
            shared += unnamed_listings(parties, everything, self._lists, in_play, self._citations)
        findings: list[FindingValue] = list(shared)
        line_values = []
        for line, line_findings in resolved:
            findings.extend(line_findings)
            line_values.append(line_value(line, line_findings, shared))
        findings.sort(key=_finding_order)
        return DecisionValue(
            transaction_id=tx.id,
            decision=worst(lv.decision for lv in line_values),
            as_of=on,
            lines=tuple(line_values),
            findings=tuple(findings),
            rule_packs=self.pack_refs,
            engine_version=__version__,
            notices=self._horizon.notices(on, lines),
        )

    def _covers(self, tx: Transaction, line: Line) -> Callable[[Product], frozenset[str]]:
        def covers(product: Product) -> frozenset[str]:
            return self._enricher.covers(tx, line.item, product)

        return covers

    def _resolver(
        self,
        tx: Transaction,
        on: dt.date,
        line: Line,
        parties: PartyFacts,
        licenses: tuple[LicenseFacts, ...],
        lines: Sequence[Line],
    ) -> Callable[[Sequence[CompiledRule]], list[FindingValue]]:
        """Findings of some rules on ``line`` without the engine's own checks (for the horizon's shadows)."""
        bare = dataclasses.replace(line, unclassified=False, code_conflict=None)

        def resolve(rules: Sequence[CompiledRule]) -> list[FindingValue]:
            return resolve_line(tx, on, bare, rules, parties, licenses, self._citations, lines, self._follows)

        return resolve

    def _transaction_findings(self, on: dt.date, parties: PartyFacts) -> list[FindingValue]:
        out: list[FindingValue] = []
        for pack in self.packset.packs:
            meta = pack.meta
            if on < meta.coverage_from or (meta.coverage_to is not None and on > meta.coverage_to):
                span = f"{meta.coverage_from} to {meta.coverage_to or 'open'}"
                out.append(
                    engine_finding(
                        "engine.outside-coverage",
                        None,
                        "Date outside rule pack coverage",
                        f"{on} is outside the period pack {meta.id} {meta.version} covers ({span}); "
                        "the law then may differ from what the pack encodes.",
                    )
                )
        for name, hit in parties.possible:
            listing = self.packset.party_lists[hit.list_id]
            out.append(
                engine_finding(
                    "engine.possible-party-match",
                    None,
                    f"Possible match on {listing.title}",
                    f"Party {name!r}: {hit.why} on {listing.title}. Confirm or rule out the match before shipping.",
                    parties=(name,),
                    citations=self._citations[id(hit.entry)],
                )
            )
        out += owner_findings(on, parties, self.packset, self._owner_from, self._citations)
        return out


def _citations(packset: PackSet) -> dict[int, tuple[CitationValue, ...]]:
    """Each rule's and party entry's citations with their JSON, computed once (keyed by ``id()``)."""
    out: dict[int, tuple[CitationValue, ...]] = {}
    for pr in packset.rules:
        out[id(pr.rule)] = tuple(citation_value(c) for c in pr.rule.citations)
    for listing in packset.party_lists.values():
        for entry in listing.entries:
            out[id(entry)] = tuple(citation_value(c) for c in entry.citations)
    return out


def _finding_order(f: FindingValue) -> tuple[int, int, str, str]:
    return (f.line or 0, -SEVERITY[f.outcome], f.rule_id, f.party or "")
