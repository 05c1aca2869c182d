"""The screening index: every name and alias of every party-list entry, looked up, never scanned.

Built once per pack set. A party name is normalised (``normalize``), then:

1. **Equivalent forms**: its equivalence key (the normalised name without spaces) is looked up in a dict of
   the listed names' keys. A hit is the listed party when the party's country is one of the entry's (or the
   entry names none); in another country it is a possible match (review).
2. **Weak aliases** (short acronyms, generic words: ``Alias.weak``, or any alias of at most ``WEAK_LENGTH``
   characters) live only in that dict, and count only as the whole name of a party in one of the entry's
   countries. They never propose or score a fuzzy match, and their words weigh little elsewhere, so
   `Shanghai Shuguang Hospital` is not `Sugon` (alias `Shuguang`).
3. **Fuzzy candidates** come from an inverted index of tokens (Han names: character bigrams). Only rare
   tokens propose candidates (a token in more than ``RARE_POSTINGS`` listed names does not: rare-token
   blocking); a token of five or more letters also finds listed tokens one edit away through a
   deletion index (each listed token stored once per deleted letter, as in SymSpell). At most
   ``MAX_CANDIDATES`` candidates, those sharing the most token weight, are scored (``score``).
4. **Transliteration**: a Han-script name whose pinyin equals a Latin-script listed name, or a Latin-script
   name equal to a Han listed name's pinyin, is a possible match at ``TRANSLITERATION_SCORE``.

The cost of a new name depends on its tokens' posting lists, not on the size of the lists. Answers are
cached per normalised name (bounded), because ERP batches repeat their customers.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

from rapidfuzz.distance import OSA

from compliance.models.pack import Alias, PartyEntry
from compliance.screening.explain import MatchDetail, why
from compliance.screening.normalize import NameForm, analyse, normalize_name
from compliance.screening.orgtypes import (
    ABBREVIATIONS,
    BRANCH_WORDS,
    GENERIC_WORDS,
    HAN_GENERIC_BIGRAMS,
    LEGAL_FORMS,
    PLACES,
    STOPWORDS,
)
from compliance.screening.score import (
    ENTRY_SHARE,
    GENERIC_WEIGHT,
    REVIEW_THRESHOLD,
    TOKEN_SIMILARITY,
    TRANSLITERATION_SCORE,
    Profile,
    profile,
    score_names,
    token_similarity,
)

__all__ = [
    "MAX_CANDIDATES",
    "MAX_POSSIBLE",
    "RARE_POSTINGS",
    "WEAK_LENGTH",
    "ListedName",
    "PartyIndex",
    "ScreenHit",
    "entry_sha256",
    "listed_names",
    "normalize_name",
]

WEAK_LENGTH = 4  # an alias whose key has at most 4 characters (2 Han characters) is weak whatever the data says
_HAN_WEAK_LENGTH = 2
RARE_POSTINGS = 200
MAX_CANDIDATES = 8
MAX_POSSIBLE = 5  # possible matches reported per party name, best first
_MIN_DELETE_LENGTH = 5
_CACHE_SIZE = 100_000


@dataclass(frozen=True, slots=True)
class ListedName:
    """A name or alias of an entry as the pack gives it."""

    text: str
    alias: bool
    weak: bool
    source: str | None


def listed_names(entry: PartyEntry) -> Iterator[ListedName]:
    yield ListedName(entry.name, False, False, None)
    for alias in entry.aliases:
        if isinstance(alias, Alias):
            yield ListedName(alias.name, True, alias.weak, alias.source)
        else:
            yield ListedName(alias, True, False, None)


def entry_sha256(entry: PartyEntry) -> str:
    """Hash of what identifies a listed entry (names, aliases, countries, dates, citations; not its note).

    A clearance names this hash: when the entry or its aliases change, the clearance no longer applies.
    """
    data = entry.model_dump(mode="json", exclude={"note"})
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ScreenHit:
    list_id: str
    entry: PartyEntry
    match: Literal["exact", "possible"]
    why: str
    detail: MatchDetail
    country_match: bool


class _Name:
    """One indexed name: its entry, its reading and its scoring tokens with their weights."""

    __slots__ = (
        "alias",
        "common",
        "eid",
        "entry",
        "form",
        "list_id",
        "profile",
        "seq",
        "text",
        "tokens",
        "total",
        "weak",
        "weights",
    )

    def __init__(self, seq: int, list_id: str, entry: PartyEntry, eid: int, listed: ListedName, form: NameForm) -> None:
        self.seq = seq  # position in the index: the tie-break that keeps answers the same from run to run
        self.list_id = list_id
        self.entry = entry
        self.eid = eid
        self.text = listed.text
        self.form = form
        self.alias = listed.alias
        short = len(form.compact) <= (_HAN_WEAK_LENGTH if form.han and not form.compact.isascii() else WEAK_LENGTH)
        self.weak = listed.weak or (listed.alias and short)
        self.tokens = scoring_tokens(form)
        self.weights: tuple[float, ...] = ()
        self.total = 0.0  # sum of the weights
        self.common = 0.0  # weight of the tokens too common to propose candidates (they may still match)
        self.profile: Profile | None = None


def scoring_tokens(form: NameForm) -> tuple[str, ...]:
    """Latin tokens as they are; a run of Han characters as its character bigrams (Chinese has no spaces)."""
    out: list[str] = []
    for tok in form.core:
        if tok.isascii() or len(tok) == 1:
            out.append(tok)
        else:
            out.extend(tok[i : i + 2] for i in range(len(tok) - 1))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class _Candidate:
    name: _Name
    kind: Literal["exact", "fuzzy"]
    score: float
    basis: str
    matched: tuple[str, ...]
    unmatched: tuple[str, ...]
    unmatched_entry: tuple[str, ...]


def _deletions(token: str) -> Iterator[str]:
    for i in range(len(token)):
        yield token[:i] + token[i + 1 :]


def _generic_fixes() -> dict[str, tuple[str, str]]:
    """Misspelt generic words (`Techologies`) -> (the spelling, the word): data, built once. Looked up by the
    deletions of both sides, so a hit is at most two edits away; ``_probe`` keeps only those within one."""
    out: dict[str, tuple[str, str]] = {}
    for variant, canonical in sorted({**{g: g for g in GENERIC_WORDS}, **ABBREVIATIONS}.items()):
        if len(variant) >= 6 and (canonical in GENERIC_WORDS or variant in GENERIC_WORDS):
            out.setdefault(variant, (variant, canonical))
            for d in _deletions(variant):
                out.setdefault(d, (variant, canonical))
    return out


_GENERIC_FIX = _generic_fixes()
_BRANCH_WORDS = frozenset(w for b in BRANCH_WORDS for w in b)


# Generic words of four or five letters, by their deletions: a token one edit from one (`Wxui` for Wuxi) is not
# read as that word (too short to be sure) but weighs as little.
def _generic_near() -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for g in sorted(GENERIC_WORDS):
        if 4 <= len(g) <= 5 and g.isalpha():
            for d in (g, *_deletions(g)):
                out[d] = (*out.get(d, ()), g)
    return out


_GENERIC_NEAR = _generic_near()


def _near_generic(token: str) -> bool:
    words = {g for d in (token, *_deletions(token)) for g in _GENERIC_NEAR.get(d, ())}
    return any(OSA.distance(token, g) <= 1 for g in words)


class PartyIndex:
    """Name index over every entry of every list; ``screen`` answers one party name."""

    def __init__(self, lists: Mapping[str, Sequence[PartyEntry]]) -> None:
        # The build makes some 10^5 small objects that all live as long as the index; each collection of the
        # oldest generation meanwhile walks the whole heap (the loaded packs) again. Pausing the cyclic
        # collector for the build (nothing it makes is cyclic garbage) makes it 2-3 times faster on a
        # 20,000-entry list.
        paused = gc.isenabled()
        gc.disable()
        try:
            self._build(lists)
        finally:
            if paused:
                gc.enable()

    def _build(self, lists: Mapping[str, Sequence[PartyEntry]]) -> None:
        self._names: list[_Name] = []
        self._exact: dict[str, list[_Name]] = {}
        self._pinyin: dict[str, list[_Name]] = {}  # pinyin of Han names -> names
        self._postings: dict[str, list[_Name]] = {}
        self._deletes: dict[str, str] = {}  # a listed token with one letter deleted -> the tokens, NUL-joined
        self._hashes: dict[int, str] = {}
        eid = 0
        for list_id, entries in sorted(lists.items()):
            for entry in entries:
                eid += 1
                for listed in listed_names(entry):
                    for form in analyse(listed.text, guesses=False):
                        if form.empty:
                            continue
                        name = _Name(len(self._names), list_id, entry, eid, listed, form)
                        self._names.append(name)
                        self._exact.setdefault(form.compact, []).append(name)
                        if name.weak:
                            continue
                        if form.han and form.pinyin:
                            self._pinyin.setdefault(form.pinyin, []).append(name)
                        for tok in set(name.tokens):
                            postings = self._postings.get(tok)
                            if postings is None:
                                self._postings[tok] = [name]
                            else:
                                postings.append(name)
        deletes = self._deletes
        for tok in self._postings:
            # Generic words are not looked up one edit away (their misspellings are read by _refine).
            if len(tok) >= _MIN_DELETE_LENGTH and tok.isascii() and tok.isalnum() and tok not in GENERIC_WORDS:
                for k in range(len(tok)):
                    d = tok[:k] + tok[k + 1 :]
                    found = deletes.get(d)
                    # One string per deletion, several tokens joined by NUL: a list per key would double the
                    # memory of this, the index's largest table.
                    deletes[d] = tok if found is None else f"{found}\0{tok}"
        strong = sum(1 for n in self._names if not n.weak)
        self._unknown_weight = math.log(1 + max(strong, 1))
        self._weight: dict[str, float] = {}
        for tok, names in self._postings.items():
            generic = tok in GENERIC_WORDS or tok in HAN_GENERIC_BIGRAMS
            idf = math.log(1 + strong / len(names))
            self._weight[tok] = GENERIC_WEIGHT if generic else max(GENERIC_WEIGHT, idf)
        weight = self._weight
        common = {t for t, names in self._postings.items() if len(names) > RARE_POSTINGS}
        for name in self._names:
            ws = tuple(weight[t] if t in weight else self.weight(t) for t in name.tokens)
            name.weights = ws
            name.total = sum(ws) or 1.0
            name.common = sum(w for t, w in zip(name.tokens, ws, strict=True) if t in common) if common else 0.0
            name.profile = profile(name.tokens, ws)
        self._forms: dict[str, tuple[NameForm, ...]] = {}
        self._probes: dict[str, tuple[str | None, tuple[str, ...]]] = {}
        self._splits: dict[str, tuple[str, ...]] = {}
        self._lookups: dict[str, tuple[_Candidate, ...]] = {}

    def __len__(self) -> int:
        return len(self._names)

    def weight(self, token: str) -> float:
        """What a token says about who a party is (see ``score``)."""
        known = self._weight.get(token)
        if known is not None:
            return known
        if token in GENERIC_WORDS or token in HAN_GENERIC_BIGRAMS or (token.isascii() and len(token) <= 3):
            return GENERIC_WEIGHT  # short unknown tokens are mostly abbreviations and initials (`Ind.`, `J.`)
        if 4 <= len(token) <= 6 and token.isalpha() and _near_generic(token):
            return GENERIC_WEIGHT  # a misspelt short generic word (`Wxui`)
        return self._unknown_weight

    def sha256(self, entry: PartyEntry) -> str:
        key = id(entry)
        cached = self._hashes.get(key)
        if cached is None:
            cached = self._hashes[key] = entry_sha256(entry)
        return cached

    # ------------------------------------------------------------------ lookups (pure functions of the name)

    def _readings(self, name: str) -> tuple[NameForm, ...]:
        forms = self._forms.get(name)
        if forms is None:
            forms = analyse(name)
            if len(self._forms) >= _CACHE_SIZE:
                self._forms.clear()
            self._forms[name] = forms
        return forms

    def _lookup(self, form: NameForm) -> tuple[_Candidate, ...]:
        key = f"{form.compact}\0{form.pinyin}"
        cached = self._lookups.get(key)
        if cached is None:
            cached = self._compute(form)
            if len(self._lookups) >= _CACHE_SIZE:
                self._lookups.clear()
            self._lookups[key] = cached
        return cached

    def _compute(self, form: NameForm) -> tuple[_Candidate, ...]:
        if form.empty:
            return ()
        out: list[_Candidate] = []
        seen: set[int] = set()
        for name in self._exact.get(form.compact, ()):
            out.append(_Candidate(name, "exact", 1.0, "equivalent", form.tokens, (), ()))
            seen.add(name.eid)
        for principal in form.principal:
            # A branch or office is the company itself (not a separate legal person); never via a weak alias.
            for name in self._exact.get(principal, ()):
                if not name.weak and name.eid not in seen:
                    seen.add(name.eid)
                    out.append(_Candidate(name, "exact", 1.0, "branch", form.tokens, (), ()))
        for name in self._transliterations(form):
            if name.eid not in seen:
                seen.add(name.eid)
                out.append(_Candidate(name, "fuzzy", TRANSLITERATION_SCORE, "transliteration", form.tokens, (), ()))
        if any(c.kind == "exact" and not c.name.weak for c in out):
            return tuple(out)  # the party is a listed entry: other resemblances add nothing
        query, misspelt = self._refine(scoring_tokens(form))
        if not misspelt and not form.han and query != form.core:
            # Only word breaks were repaired (`Huaweitechnologies`): spacing is an equivalent form.
            for name in self._exact.get("".join(query), ()):
                if not name.weak and name.eid not in seen:
                    seen.add(name.eid)
                    out.append(_Candidate(name, "exact", 1.0, "equivalent", query, (), ()))
            if any(c.kind == "exact" for c in out):
                return tuple(out)
        if form.principal:
            # A branch's name is scored as its company's: the branch words and the place before them go.
            while len(query) > 1 and (query[-1] in _BRANCH_WORDS or query[-1] in PLACES):
                query = query[:-1]
        weights = tuple(self.weight(t) for t in query)
        fuzzy: list[_Candidate] = []
        query_profile = profile(query, weights)
        query_compact = "".join(form.core)
        for name in self._candidates(query, weights):
            if name.eid in seen or name.profile is None:
                continue
            scored = score_names(query_profile, name.profile, query_compact, "".join(name.form.core))
            if scored.score >= REVIEW_THRESHOLD:
                fuzzy.append(
                    _Candidate(
                        name, "fuzzy", scored.score, scored.by, scored.matched, scored.unmatched, scored.unmatched_entry
                    )
                )
        fuzzy.sort(key=lambda c: (-c.score, c.name.seq))
        for cand in fuzzy:
            if cand.name.eid not in seen:
                seen.add(cand.name.eid)
                out.append(cand)
        return tuple(out)

    def _known(self, tok: str) -> bool:
        return tok in self._postings or tok in GENERIC_WORDS

    def _refine(self, tokens: tuple[str, ...]) -> tuple[tuple[str, ...], bool]:
        """Tokens no listed name has, read more kindly: a misspelt generic word as that word; two words
        written as one (`Huaweitechnologies`, `TechnologyCo`) as the two. The flag says whether a spelling
        was corrected."""
        out: list[str] = []
        misspelt = False
        for tok in tokens:
            if self._known(tok) or not tok.isascii() or len(tok) < 5 or not tok.isalnum():
                out.append(tok)
                continue
            fixed = self._probe(tok)[0]
            if fixed is not None:
                out.append(fixed)
                misspelt = misspelt or fixed != ABBREVIATIONS.get(tok, tok)
                continue
            split = self._splits.get(tok)
            if split is None:
                split = self._split(tok)
                if len(self._splits) >= _CACHE_SIZE:
                    self._splits.clear()
                self._splits[tok] = split
            out.extend(split)
        return tuple(out), misspelt

    def _split(self, tok: str) -> tuple[str, ...]:
        """`huaweitechnologies` -> (`huawei`, `technology`); `lockheedmartincorporation` -> (`lockheed`,
        `martin`): the fewest pieces that are all known words (listed tokens, generic words, legal forms, joining
        words), legal forms and joining words then dropped. A token with no such reading is kept as it is."""
        n = len(tok)
        known = self._known
        if (
            not any(known(ABBREVIATIONS.get(tok[:i], tok[:i])) for i in range(n - 2, 2, -1))
            and tok[:2] not in self._postings
        ):
            return (tok,)  # most unknown tokens begin with no known word: no reading to look for
        best: list[tuple[str, ...] | None] = [None] * (n + 1)
        best[0] = ()
        for end in range(2, n + 1):
            for start in range(max(0, end - 24), end - 1):
                head = best[start]
                if head is None:
                    continue
                piece = tok[start:end]
                word = ABBREVIATIONS.get(piece, piece)
                filler = (piece,) in LEGAL_FORMS or piece in STOPWORDS
                # Two letters are a word only when a listed name has it as one (`MP Materials`, `Hua Ke`).
                if not filler and (not self._known(word) or (len(piece) < 3 and piece not in self._postings)):
                    continue
                candidate = (*head, "\0" + piece if filler else word)
                if best[end] is None or len(candidate) < len(best[end] or ()):
                    best[end] = candidate
        found = best[n]
        if found is None or len(found) < 2:
            return (tok,)
        for before, piece in pairwise(("", *found)):
            # A legal form cut off a short word is more likely the word's own letters (`huaad` is not `hua`
            # + the Bulgarian `AD`): such a reading would drop letters that carry identity.
            if (
                piece.startswith("\0")
                and piece[1:] not in STOPWORDS
                and not before.startswith("\0")
                and len(before) < 4
            ):
                return (tok,)
        words = tuple(w for w in found if not w.startswith("\0"))
        return words  # () for legal forms run together (`LIMITEDCO`): nothing of the name is lost

    def _transliterations(self, form: NameForm) -> list[_Name]:
        if form.han:
            if not form.pinyin or any(t.isascii() for t in form.core):
                return []
            return [
                n
                for n in (*self._exact.get(form.pinyin, ()), *self._pinyin.get(form.pinyin, ()))
                if not n.form.han or n.form.compact != form.compact
            ]
        return list(self._pinyin.get(form.compact, ()))

    def _candidates(self, query: tuple[str, ...], weights: tuple[float, ...]) -> list[_Name]:
        """The listed names sharing the most token weight with the query, from rare tokens only."""
        proposals: list[tuple[float, float, list[_Name]]] = []
        probes: list[tuple[str, float, tuple[str, ...]]] = [
            (tok, w, self._similar_tokens(tok, w)) for tok, w in zip(query, weights, strict=True)
        ]
        # A word broken in two (`Hua Wei`) is also tried joined (as it is only).
        for (a, wa, _sa), (b, wb, _sb) in pairwise(probes):
            if a.isascii() and b.isascii() and a + b in self._postings:
                probes.append((a + b, max(wa, wb), (a + b,)))
        for tok, w, similar in probes:
            for listed_tok in similar:
                names = self._postings[listed_tok]
                if len(names) <= RARE_POSTINGS:
                    proposals.append((w * (1.0 if listed_tok == tok else 0.8), self._weight[listed_tok], names))
        if not proposals:
            return []
        shared: dict[int, float] = {}  # query weight shared, to rank candidates
        listed: dict[int, float] = {}  # listed-token weight proposed, to bound a candidate's score
        by_id: dict[int, _Name] = {}
        for w, w_listed, names in proposals:
            for name in names:
                key = name.seq
                shared[key] = shared.get(key, 0.0) + w
                listed[key] = listed.get(key, 0.0) + w_listed
                by_id[key] = name
        # A candidate whose listed tokens, all matched, could not reach the review band is not scored.
        floor = (REVIEW_THRESHOLD - (1 - ENTRY_SHARE)) / ENTRY_SHARE
        ranked = sorted((-shared[k], k) for k in shared if (listed[k] + by_id[k].common) / by_id[k].total >= floor)
        return [by_id[k] for _s, k in ranked[:MAX_CANDIDATES]]

    def _similar_tokens(self, tok: str, weight: float) -> tuple[str, ...]:
        """Listed tokens equal to ``tok`` or one edit from it (insertion, deletion, substitution, transposition).

        A token some listed name has, or a generic one, is taken as written: only unknown tokens are looked up
        one edit away (a typo rarely makes another listed word)."""
        if tok in self._postings:
            return (tok,)
        if len(tok) < _MIN_DELETE_LENGTH - 1 or not tok.isascii() or tok in GENERIC_WORDS:
            return ()
        return self._probe(tok)[1]

    def _probe(self, tok: str) -> tuple[str | None, tuple[str, ...]]:
        """For a token no listed name has: the generic word it misspells (or None), and the listed tokens one
        edit away. Both come from the same deletions of the token; cached, since ERP names repeat words."""
        cached = self._probes.get(tok)
        if cached is not None:
            return cached
        dels = [tok[:i] + tok[i + 1 :] for i in range(len(tok))] if len(tok) >= _MIN_DELETE_LENGTH else []
        spellings = [_GENERIC_FIX[d] for d in (tok, *dels) if d in _GENERIC_FIX]
        postings, deletes = self._postings, self._deletes
        lacking = deletes.get(tok)  # the query lacks one letter
        found: set[str] = set(lacking.split("\0")) if lacking else set()
        for d in dels:
            if d in postings:  # the query has one letter more
                found.add(d)
            more = deletes.get(d)  # one letter differs, or two are swapped
            if more:
                found.update(more.split("\0"))
        # Deleting a letter from each side also pairs words two edits apart: keep only those that score.
        close = [t for t in found if token_similarity(t, tok) >= TOKEN_SIMILARITY]
        similar = tuple(sorted(close)) if len(close) > 1 else tuple(close)
        # A misspelt generic word, unless the token is as close to a word of a listed name (`Matrin`: Martin,
        # not marine).
        fixed = None
        if not any(t not in GENERIC_WORDS for t in similar):
            fixed = next((c for v, c in spellings if token_similarity(v, tok) >= TOKEN_SIMILARITY), None)
        if len(self._probes) >= _CACHE_SIZE:
            self._probes.clear()
        self._probes[tok] = (fixed, similar)
        return fixed, similar

    def equivalents(self, name: str) -> list[tuple[str, PartyEntry]]:
        """Entries (list id, entry) that ``name`` is an equivalent form of, whatever the date or country; weak
        aliases excluded. For tools (the list importer's "already listed"), not for decisions."""
        out: dict[int, tuple[str, PartyEntry]] = {}
        for form in self._readings(name):
            for n in self._exact.get(form.compact, ()):
                if not n.weak:
                    out.setdefault(n.eid, (n.list_id, n.entry))
        return list(out.values())

    # ------------------------------------------------------------------ screening

    def screen(self, name: str, country: str, on: dt.date) -> list[ScreenHit]:
        """Entries in force on ``on`` that ``name`` (a party in ``country``) is, or may be."""
        best: dict[int, tuple[_Candidate, NameForm]] = {}
        for form in self._readings(name):
            for cand in self._lookup(form):
                held = best.get(cand.name.eid)
                if held is None or _rank(cand) > _rank(held[0]):
                    best[cand.name.eid] = (cand, form)
        hits: list[ScreenHit] = []
        for cand, form in sorted(best.values(), key=lambda cf: (-_rank(cf[0])[0], -_rank(cf[0])[1], cf[0].name.seq)):
            entry = cand.name.entry
            if entry.added > on or (entry.removed is not None and on > entry.removed):
                continue
            countries = tuple(entry.countries)
            country_match = not countries or country in countries
            if cand.name.weak and not (countries and country in countries):
                continue  # a weak alias counts only in the entry's own countries
            match: Literal["exact", "possible"] = "exact" if cand.kind == "exact" and country_match else "possible"
            if form.guess:
                match = "possible"  # a disguise is a reason to look, not proof: an officer confirms
            detail = MatchDetail(
                "fuzzy" if form.guess else cand.kind,
                cand.score,
                cand.name.text,
                cand.name.alias,
                cand.name.weak,
                form.key,
                cand.name.form.key,
                cand.matched,
                cand.unmatched,
                cand.unmatched_entry,
                "disguise" if form.guess else cand.basis,
            )
            hits.append(
                ScreenHit(
                    cand.name.list_id,
                    entry,
                    match,
                    why(detail, entry.name, country_match, countries, form.guess),
                    detail,
                    country_match,
                )
            )
        if any(h.match == "exact" for h in hits):
            return [h for h in hits if h.match == "exact"]
        return hits[:MAX_POSSIBLE]


def _rank(cand: _Candidate) -> tuple[int, float]:
    return (1 if cand.kind == "exact" else 0, cand.score)
