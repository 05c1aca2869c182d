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
from typing import Literal, overload

from compliance._version import __version__
from compliance.errors import InputError, Location, PackError, Problem
from compliance.evaluate.balances import LedgerLicense
from compliance.evaluate.enduse_text import end_use_text_findings
from compliance.evaluate.enrich import Enricher
from compliance.evaluate.explain import explain_decision
from compliance.evaluate.facts import Line, PartyFacts
from compliance.evaluate.horizon import Horizon
from compliance.evaluate.hs import hs_findings
from compliance.evaluate.links import CitationLinks
from compliance.evaluate.match import Matcher, MatchError, make_matcher
from compliance.evaluate.match.base import RulesetTooLarge
from compliance.evaluate.match.memo import MemoMatcher, segments
from compliance.evaluate.match.predicates import CompiledRule, compile_rule
from compliance.evaluate.ownership import owner_findings, owner_rules_from
from compliance.evaluate.remedies import attach_remedies
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
from compliance.evaluate.result import RecordResult
from compliance.evaluate.values import (
    CitationValue,
    DecisionValue,
    FindingValue,
    MatchValue,
    citation_value,
    to_model,
)
from compliance.intake import transaction_from_document, transaction_from_mapping
from compliance.models.decision import Decision, PackRef
from compliance.models.explain import Explanation
from compliance.models.pack import Product
from compliance.models.transaction import Transaction
from compliance.packs.bundled import bundled_rules_dir
from compliance.packs.load import load_packs
from compliance.packs.packset import PackSet
from compliance.screening.clearances import ClearanceBook, Verdict
from compliance.screening.index import ScreenHit
from compliance.source import Document

__all__ = ["Engine"]


class Engine:
    """Evaluates transactions against a frozen pack set.

    >>> engine = Engine.from_directory()                 # doctest: +SKIP
    >>> engine.evaluate(tx).decision                      # doctest: +SKIP
    'deny'
    """

    def __init__(
        self,
        packset: PackSet,
        *,
        backend: str = "durable",
        memoize: bool = True,
        clearances: ClearanceBook | None = None,
    ) -> None:
        self.packset = packset
        self.backend = backend
        self.clearances = clearances or ClearanceBook()
        self.rules: tuple[CompiledRule, ...] = tuple(compile_rule(i, r) for i, r in enumerate(packset.rules))
        # Rules triggered by a party list, and which lists: their findings carry the party's `match`.
        self._rule_lists: dict[str, tuple[str, ...]] = {
            r.packrule.rule.id: tuple(r.party_lists) for r in self.rules if r.party_lists
        }
        # Rules past an unconfirmed end are matched too, as shadows (evaluate/horizon.py).
        self._horizon = Horizon(packset, self.rules)
        self._enricher = Enricher(packset, self.clearances)
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
        self._rule_by_id = {r.packrule.rule.id: r.packrule.rule for r in self.rules}  # for remedies (issue 14)
        self._links = CitationLinks(packset)  # dated citation urls (issue 14)
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
    def from_directory(
        cls,
        *roots: str | Path,
        backend: str = "durable",
        memoize: bool = True,
        clearances: ClearanceBook | None = None,
    ) -> Engine:
        """Load every pack under ``roots`` (default: the packs bundled with the installation, as the CLI does;
        never a ``rules`` folder in the current directory); raises :class:`PackError` on any problem."""
        return cls(load_packs(roots or (bundled_rules_dir(),)), backend=backend, memoize=memoize, clearances=clearances)

    def reload(self, *roots: str | Path) -> Engine:
        """A new engine on freshly loaded packs; this one keeps working until the caller swaps it."""
        return type(self).from_directory(
            *roots, backend=self.backend, memoize=isinstance(self._matcher, MemoMatcher), clearances=self.clearances
        )

    def close(self) -> None:
        self._matcher.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def evaluate(
        self,
        tx: Transaction | Mapping[str, object],
        *,
        as_of: dt.date | None = None,
        ledger: Sequence[LedgerLicense] = (),
    ) -> Decision:
        """Decide one transaction as of ``as_of`` (default: the transaction's own ``date``); ``ledger``: licences
        from the licence ledger with their balances (:mod:`compliance.evaluate.balances`)."""
        return to_model(self.decide(tx, as_of=as_of, ledger=ledger))

    @overload
    def evaluate_many(
        self,
        txs: Iterable[Transaction | Mapping[str, object]],
        *,
        as_of: dt.date | None = None,
        on_error: Literal["raise"] = "raise",
        source: str = "<input>",
    ) -> Iterator[Decision]: ...

    @overload
    def evaluate_many(
        self,
        txs: Iterable[Transaction | Mapping[str, object]],
        *,
        as_of: dt.date | None = None,
        on_error: Literal["return"],
        source: str = "<input>",
    ) -> Iterator[RecordResult]: ...

    def evaluate_many(
        self,
        txs: Iterable[Transaction | Mapping[str, object]],
        *,
        as_of: dt.date | None = None,
        on_error: Literal["raise", "return"] = "raise",
        source: str = "<input>",
    ) -> Iterator[Decision] | Iterator[RecordResult]:
        """Decide each transaction in order (a generator).

        ``on_error="raise"`` (the default) stops at the first record that cannot be evaluated, raising
        :class:`InputError` located at ``source:N`` (N: the 1-based position) and naming the transaction id.
        ``on_error="return"`` never stops: it yields one :class:`RecordResult` per record, a decision or the
        problems in its place (``input-error``; ``internal-error`` when the engine itself failed on it), which
        serialises as ``compliance check --format jsonl`` does (``result.to_dict()``, ``result.to_json()``).
        """
        if on_error not in ("raise", "return"):
            raise ValueError(f"on_error must be 'raise' or 'return', not {on_error!r}")
        if on_error == "return":
            return self._results(txs, as_of, source)
        return self._decisions(txs, as_of, source)

    def _decisions(
        self, txs: Iterable[Transaction | Mapping[str, object]], as_of: dt.date | None, source: str
    ) -> Iterator[Decision]:
        for number, tx in enumerate(txs, start=1):
            try:
                valid = tx if isinstance(tx, Transaction) else _validated(tx, source, number)
                yield self.evaluate(valid, as_of=as_of)
            except InputError:
                raise
            except Exception as exc:
                exc.add_note(f"while evaluating record {number} of {source} ({_tid(tx)})")
                raise

    def _results(
        self, txs: Iterable[Transaction | Mapping[str, object]], as_of: dt.date | None, source: str
    ) -> Iterator[RecordResult]:
        for number, tx in enumerate(txs, start=1):
            try:
                valid = tx if isinstance(tx, Transaction) else _validated(tx, source, number)
            except InputError as err:
                yield RecordResult(source, number, None, err.problems)
                continue
            try:
                yield RecordResult(source, number, self.evaluate(valid, as_of=as_of))
            except Exception as exc:  # the per-record boundary: one result per record, the rest still decided
                problem = Problem(
                    Location(source, number, 1),
                    "internal-error",
                    f"{_tid(tx)}: internal error: {type(exc).__name__}: {exc}; the record was not decided",
                    help="please report this with the record",
                )
                yield RecordResult(source, number, None, (problem,), "internal-error")

    def decide(
        self,
        tx: Transaction | Mapping[str, object],
        *,
        as_of: dt.date | None = None,
        ledger: Sequence[LedgerLicense] = (),
    ) -> DecisionValue:
        """Like :meth:`evaluate`, as a plain value (``compliance.evaluate.values``) for writers that render it.

        ``ledger`` are candidate licences read from the licence ledger before the call, each with what other
        transactions hold on it: they are tried after the order's own licences, expiring first, and cover a line
        only with enough left (:mod:`compliance.evaluate.balances`). The engine itself reads no ledger."""
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
        licenses = license_facts(tx, self.packset.catalog, ledger) if tx.licenses or ledger else ()
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
            self._attach_matches(line_findings, parties)
            resolved.append((line, line_findings))
        if parties.listed:
            # A listed party no rule named, in whatever role, is reviewed (lists of packs that apply).
            in_play = frozenset(q for line in lines for p in line.facts.scope for q in (p, self._stands_for.get(p, p)))
            everything = [f for _line, fs in resolved for f in fs] + shared
            unnamed = unnamed_listings(parties, everything, self._lists, in_play, self._citations)
            self._attach_listing_matches(unnamed, parties)
            shared += unnamed
        shared += end_use_text_findings(tx.end_use, frozenset(tx.end_use_codes))
        findings: list[FindingValue] = list(shared)
        line_values = []
        for line, line_findings in resolved:
            findings.extend(line_findings)
            line_values.append(line_value(line, line_findings, shared))
        attach_remedies(tx, on, resolved, shared, self._rule_by_id)
        self._links.attach(findings, on)
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

    def explain(self, tx: Transaction | Mapping[str, object], *, as_of: dt.date | None = None) -> Explanation:
        """Why each rule did or did not apply to each line, with the decision (``compliance check --explain``).

        Conditions are traced with the reference (plain-Python) semantics, which the durable-rules backend is
        tested to agree with; the decision inside is this engine's own (:mod:`compliance.evaluate.explain`).
        """
        if not isinstance(tx, Transaction):
            tx = transaction_from_mapping(tx)
        on = as_of or tx.date
        value = self.decide(tx, as_of=on)
        _parties, lines = self._enricher.enrich(tx, on)
        return explain_decision(self.packset, self.rules, tx, on, lines, value)

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
        for name, country, hit, verdict in parties.screened:
            out.append(self._possible_finding(name, country, hit, verdict))
        out += owner_findings(on, parties, self.packset, self._owner_from, self._citations)
        return out

    def _match(self, name: str, country: str, hit: ScreenHit, clearance: str | None = None) -> MatchValue:
        d = hit.detail
        return MatchValue(
            d.kind,
            d.score,
            hit.list_id,
            hit.entry.name,
            self._citations[id(hit.entry)],
            d.matched_name,
            d.alias,
            d.weak,
            name,
            country,
            tuple(hit.entry.countries),
            hit.country_match,
            d.normalized_query,
            d.normalized_entry,
            d.matched_tokens,
            d.unmatched_tokens,
            d.unmatched_entry_tokens,
            self._enricher.parties.sha256(hit.entry),
            clearance,
        )

    def _possible_finding(self, name: str, country: str, hit: ScreenHit, verdict: Verdict) -> FindingValue:
        listing = self.packset.party_lists[hit.list_id]
        cites = self._citations[id(hit.entry)]
        cleared = verdict.applied
        if cleared is not None:
            return FindingValue(
                "engine.cleared-party-match",
                "engine",
                "engine",
                "allow",
                None,
                (name,),
                f"Possible match on {listing.title} cleared",
                f"Party {name!r}: {hit.why} on {listing.title}. Cleared by {cleared.id} ({cleared.cleared_by}, "
                f"{cleared.date}, until {cleared.expires}): {cleared.reason}",
                cites,
                match=self._match(name, country, hit, cleared.id),
            )
        lapsed = "".join(f" Clearance {c.id} does not apply: {why}." for c, why in verdict.lapsed)
        return FindingValue(
            "engine.possible-party-match",
            "engine",
            "engine",
            "review",
            None,
            (name,),
            f"Possible match on {listing.title}",
            f"Party {name!r}: {hit.why} on {listing.title}. Confirm or rule out the match before shipping"
            f"{' (or record a clearance)' if not verdict.lapsed else ''}.{lapsed}",
            cites,
            match=self._match(name, country, hit),
        )

    def _attach_listing_matches(self, findings: list[FindingValue], parties: PartyFacts) -> None:
        """An `engine.listed-party` review explains the listed party's match, as a rule finding does."""
        for f in findings:
            name = f.parties[0] if f.parties else None
            for hits in parties.hits.values():
                hit = next(((n, c, h) for n, c, h in hits if n == name), None)
                if hit is not None:
                    f.match = self._match(*hit)
                    break

    def _attach_matches(self, findings: list[FindingValue], parties: PartyFacts) -> None:
        """A finding of a rule triggered by a party list explains the (first) listed party's match."""
        for f in findings:
            lists = self._rule_lists.get(f.rule_id)
            if not lists or not f.parties:
                continue
            for list_id in lists:
                found = next((h for h in parties.hits.get(list_id, ()) if h[0] in f.parties), None)
                if found is not None:
                    f.match = self._match(*found)
                    break


def _tid(tx: object) -> str:
    tid = tx.id if isinstance(tx, Transaction) else tx.get("id") if isinstance(tx, Mapping) else None
    return f"transaction {tid}" if isinstance(tid, str) and tid.strip() else "transaction without an id"


def _validated(tx: object, source: str, number: int) -> Transaction:
    """A mapping validated, its problems located at ``source:number`` and naming the transaction."""
    if not isinstance(tx, Mapping):
        raise InputError(
            [
                Problem(
                    Location(source, number, 1),
                    "not-a-mapping",
                    f"record {number} is a {type(tx).__name__}; a transaction is a mapping of fields",
                )
            ]
        )
    label = _tid(tx)
    return transaction_from_document(Document(source, dict(tx), {(): (number, 1)}, label=label))


def _citations(packset: PackSet) -> dict[int, tuple[CitationValue, ...]]:
    """Each rule's and party entry's citations with their JSON, computed once (keyed by ``id()``)."""
    out: dict[int, tuple[CitationValue, ...]] = {}
    for pr in packset.rules:
        out[id(pr.rule)] = tuple(citation_value(c) for c in pr.rule.citations)
    for listing in packset.party_lists.values():
        for entry in listing.entries:
            out[id(entry)] = tuple(citation_value(c) for c in entry.citations)
    for pack in packset.packs:
        if pack.meta.decides is not None:
            out[id(pack.meta.decides)] = tuple(citation_value(c) for c in pack.meta.decides.citations)
    return out


def _finding_order(f: FindingValue) -> tuple[int, int, str, str]:
    return (f.line or 0, -SEVERITY[f.outcome], f.rule_id, f.party or "")
