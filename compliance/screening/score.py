"""How similar two names are, from 0 to 1, and which tokens made it so (rapidfuzz does the string work).

Two names are compared token by token, each token weighted by how much it says about who a party is: a
token found in few listed names weighs ``ln(1 + N / df)``; a token no listed name has weighs the most (it is
what tells the party apart); generic words (places, `technology`, `information`, ...; see ``orgtypes``) and
unknown tokens of three letters or fewer (abbreviations, initials) weigh ``GENERIC_WEIGHT``. Each listed token is paired with the most similar unused
party token: the same token scores 1; a spelling within one edit in five characters (optimal string
alignment, so a swapped pair of letters is one edit) scores its similarity; a prefix abbreviation of at least
four letters (`elec` for `electronic`) scores ``ABBREVIATION_SIMILARITY``.

``entry coverage`` is the weighted share of the listed name's tokens found in the party name, ``query
coverage`` the share of the party name's tokens found in the listed name; the token score is
``ENTRY_SHARE * entry coverage + (1 - ENTRY_SHARE) * query coverage``: a party name that contains a listed
name and more (`Huawei Technologies Deutschland`) scores high, a name that shares one word with it does not.
A party name that contains every token of a listed name, one of them more than a generic word, scores at
least ``CONTAINED_SCORE``: `Huawei Device Co.` may be one of Huawei's affiliates. The character score
(rapidfuzz ``ratio`` of the two names with spaces removed) catches wrong word breaks and
typos inside joined words; it counts only from ``CHARACTER_FLOOR``, and only when the names' distinctive
parts (their tokens that are not generic) are as similar, so that `Kowalski Heavy Industries Aerospace
Systems` does not pass for `Kawasaki Heavy Industries Aerospace Systems` on its long generic tail.

The bands (calibrated on tests/screening/labelled.yaml; README "Screening" gives the measured rates):

- ``exact`` (the same after normalisation, see ``normalize``): the listed party;
- ``REVIEW_THRESHOLD`` <= score < 1: a possible match, ``review`` with the score;
- below: no finding.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from compliance.screening.orgtypes import GENERIC_WORDS

__all__ = [
    "ABBREVIATION_SIMILARITY",
    "CHARACTER_FLOOR",
    "CONTAINED_SCORE",
    "ENTRY_SHARE",
    "GENERIC_CHARACTER_FLOOR",
    "GENERIC_WEIGHT",
    "REVIEW_THRESHOLD",
    "TOKEN_SIMILARITY",
    "TRANSLITERATION_SCORE",
    "Profile",
    "Scored",
    "profile",
    "score_names",
    "token_similarity",
]

REVIEW_THRESHOLD = 0.80
ENTRY_SHARE = 0.6
GENERIC_WEIGHT = 0.4
TOKEN_SIMILARITY = 0.8
ABBREVIATION_SIMILARITY = 0.9
CHARACTER_FLOOR = 0.88
CONTAINED_SCORE = 0.85
GENERIC_CHARACTER_FLOOR = 0.95
# A Han-script name whose pinyin equals a Latin-script listed name (or the reverse): sounds the same, may be
# written with other characters (华为 and 华威 are both `huawei`), so never more than a possible match.
TRANSLITERATION_SCORE = 0.95


def _digits(token: str) -> str:
    return "".join(c for c in token if c.isdigit())


def token_similarity(a: str, b: str) -> float:
    """Similarity of two tokens: 1 when equal; otherwise edit or abbreviation similarity, or 0."""
    if a == b:
        return 1.0
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    ls, ll = len(short), len(long_)
    if not (short.isascii() and long_.isascii()):
        return 0.0  # Han tokens are character bigrams: equal or not
    # `Elec.` for electronic; three letters only for a generic word (`Ind.`, `Eng.`), which weighs little.
    if (
        ll - ls >= 2
        and long_.startswith(short)
        and short.isalpha()
        and (ls >= 4 or (ls == 3 and long_ in GENERIC_WORDS))
    ):
        return ABBREVIATION_SIMILARITY
    if ls < 4 or (ll - ls) > ll * (1 - TOKEN_SIMILARITY) + 1e-9:
        return 0.0  # short tokens must be equal: `L3`, `SMIC` vs `SMIT`
    if not (short.isalpha() and long_.isalpha()) and _digits(short) != _digits(long_):
        return 0.0  # numbers must be equal (`3A090` is not `3A091`); letters around them may be misspelt
    # rapidfuzz applies the cutoff to a rounded distance: ask a little lower, then decide here.
    sim = float(OSA.normalized_similarity(short, long_, score_cutoff=TOKEN_SIMILARITY - 0.02))
    return sim if sim >= TOKEN_SIMILARITY - 1e-9 else 0.0


@dataclass(frozen=True, slots=True)
class Scored:
    score: float
    matched: tuple[str, ...]  # party-name tokens paired with a listed token
    unmatched: tuple[str, ...]  # party-name tokens without a partner
    unmatched_entry: tuple[str, ...]  # listed tokens without a partner
    by: str  # "tokens" or "characters": which score decided


@dataclass(frozen=True, slots=True)
class Profile:
    """A name's scoring tokens with their weights, prepared once (for a listed name: when the index is built)."""

    tokens: tuple[str, ...]
    weights: tuple[float, ...]
    heaviest: tuple[tuple[str, float], ...]  # (token, weight), heaviest first: listed tokens are paired in this order
    total: float
    distinct: str  # the tokens that are not generic, joined: the character score compares these
    has_distinct: bool


def profile(tokens: tuple[str, ...], weights: tuple[float, ...]) -> Profile:
    pairs = tuple(zip(tokens, weights, strict=True))
    distinct = "".join(t for t, w in pairs if w > GENERIC_WEIGHT)
    return Profile(
        tokens, weights, tuple(sorted(pairs, key=lambda tw: -tw[1])), sum(weights) or 1.0, distinct, bool(distinct)
    )


def score_names(query: Profile, entry: Profile, query_compact: str, entry_compact: str) -> Scored:
    qtokens = query.tokens
    used = [False] * len(qtokens)
    sims = [0.0] * len(qtokens)  # for each party-name token, the similarity of its partner
    entry_hit = 0.0
    exact_pairs = 0
    unmatched_entry: set[str] = set()
    for tok, w in entry.heaviest:
        best, best_i = 0.0, -1
        short = len(tok) < 10
        for i, q in enumerate(qtokens):
            if used[i]:
                continue
            if q == tok:
                best, best_i = 1.0, i
                break
            # Within one edit, two short words share their first or last letter (a prefix shares the first).
            if short and q[0] != tok[0] and q[-1] != tok[-1] and len(q) < 10:
                continue
            sim = token_similarity(tok, q)
            if sim > best:
                best, best_i = sim, i
        if best_i < 0:
            unmatched_entry.add(tok)
            continue
        used[best_i] = True
        sims[best_i] = best
        entry_hit += w * best
        exact_pairs += best == 1.0
    query_hit = sum(w * sim for w, sim in zip(query.weights, sims, strict=True))
    token_score = ENTRY_SHARE * (entry_hit / entry.total) + (1 - ENTRY_SHARE) * (query_hit / query.total)
    if exact_pairs == len(entry.tokens) and entry.has_distinct:
        token_score = max(token_score, CONTAINED_SCORE)
    lq, le = len(query_compact), len(entry_compact)
    # ratio = 2 * matches / (lq + le) cannot reach the floor when one name is much longer than the other.
    possible = 2 * min(lq, le) >= CHARACTER_FLOOR * (lq + le)
    char_score = (
        fuzz.ratio(query_compact, entry_compact, score_cutoff=CHARACTER_FLOOR * 100) / 100.0 if possible else 0.0
    )
    if char_score:
        if entry.has_distinct and fuzz.ratio(query.distinct, entry.distinct) / 100.0 < CHARACTER_FLOOR:
            char_score = 0.0
        elif not entry.has_distinct and char_score < GENERIC_CHARACTER_FLOOR:
            char_score = 0.0  # a name of generic words only must be nearly the same
    score, by = (token_score, "tokens")
    if char_score > token_score:
        score, by = (char_score, "characters")
    return Scored(
        min(score, 0.99),  # only an equivalent form scores 1
        tuple(q for q, u in zip(qtokens, used, strict=True) if u),
        tuple(q for q, u in zip(qtokens, used, strict=True) if not u),
        tuple(t for t in entry.tokens if t in unmatched_entry),
        by,
    )
