"""The durable-rules matcher: the production matching core.

durable-rules 2.0.28 has sharp edges; each is designed around here and pinned by a test in
tests/match/test_durable_traps.py:

1. ``post()`` consumes an event, so only one of several matching rules fires. We *assert facts*
   instead, which every matching rule sees, collect each firing, then retract the fact.
2. Asserting a fact equal to one in the state raises ``MessageObservedException``: every fact gets
   a unique id (evaluation serial + line) and is retracted after matching, so state never grows.
3. An unmatched fact raises ``MessageNotHandledException`` (and can take matched ones with it in
   ``assert_facts``): a catch-all rule matches every line fact, and facts are asserted one at a time.
   Should the exception come anyway, it is a :class:`MatchError` naming the rules: never "no rule applies".
4. Large OR chains hang the loader (more than ~512 comparisons in one ruleset never finish loading):
   lists are resolved in the enrich step, and a pack's rules are *split* across as many rulesets as
   :data:`MAX_TERMS` needs, so the number of rules is a size question, not a limit. Only a single rule
   above the limit is refused (a pack error, instead of a hang).
5. Exceptions in actions are swallowed into the state (``Promise.run``): actions only append an
   index to a list, and the state is checked after every assert; any error becomes ``MatchError``.
6. The global ``durable.lang`` host registers rulesets by name and starts timer threads that may run
   actions later: we build ``durable.engine.Ruleset`` objects directly, owned by this matcher, with a
   unique name, and never touch the global host.
7. ``$ex``/``$nex`` (field exists) make ``do_actions`` loop forever, and ``$iall`` is false on an
   empty list: :func:`encode` gives every message every field, list fields are never empty (``EMPTY``),
   and absent numeric specs are tested through the ``specs_known`` list.
8. ``create_ruleset`` occasionally fails with error 102 on a valid definition and succeeds when
   asked again: creation is retried (``_create``).
9. Matching walks the network depth first with a fixed stack of 64 pending nodes (``MAX_STACK_SIZE`` in
   ``events.c``): a fact that matches more than 64 alternative paths at once fails with error 303. Each
   ruleset holds rules whose alternative paths (an ``$or`` opens one per branch) add up to at most
   :data:`MAX_PATHS`, and conditions put the window last (a date matches most windows at once).
10. On Python 3.12+ every action run calls ``durable.engine._unix_now``, which calls the deprecated
   ``datetime.utcfromtimestamp(0)``: a ``DeprecationWarning`` per fact, and under ``-W error`` (the test suite's
   setting) an exception inside the action, i.e. a ``MatchError`` on every line. :func:`_unix_now` computes the
   same value (local wall time, naive, minus the naive epoch) without the deprecated call and replaces it.

The typed :class:`~compliance.evaluate.facts.LineFacts` are this backend's input; :func:`encode` turns
them into the flat JSON message durable-rules reads (sentinels, ``YYYYMMDD`` integer dates, pairs joined
into strings), and nothing outside this module sees that encoding.
"""

from __future__ import annotations

import datetime
import itertools
import threading
from collections.abc import Callable, Sequence

import durable_rules_engine
from durable import engine as durable_engine

from compliance.evaluate.facts import Atom, LineFacts
from compliance.evaluate.match.base import MAX_TERMS, MatchError, RulesetTooLarge
from compliance.evaluate.match.predicates import (
    LIST_FIELDS,
    SCALAR_FIELDS,
    And,
    Cmp,
    CompiledRule,
    Has,
    In,
    Node,
    Not,
    Or,
    date_number,
)

__all__ = ["EMPTY", "MAX_PATHS", "DurableMatcher", "count_paths", "count_terms", "encode", "to_durable"]

# durable-rules' `$iall` is false on an empty list, so every list field carries this sentinel;
# pack validation forbids it as a value, so it never matches a rule.
EMPTY = "~"

_OPS = {"gt": "$gt", "gte": "$gte", "lt": "$lt", "lte": "$lte"}
_NEG_OPS = {"gt": "$lte", "gte": "$lt", "lt": "$gte", "lte": "$gt"}
_names = itertools.count(1)


def _unix_now() -> float:
    """durable-rules' ``_unix_now``, without ``utcfromtimestamp`` (trap 10): the same naive arithmetic."""
    return (datetime.datetime.now() - datetime.datetime(1970, 1, 1)).total_seconds()


durable_engine._unix_now = _unix_now  # trap 10; this module alone touches durable


class _NoHost:
    """Rulesets need a host only to look up actions by name; ours are Python callables."""

    def get_action(self, action_name: str) -> Callable[[object], None]:
        raise LookupError(f"no named action {action_name!r}")


def _atom(value: Atom) -> str:
    # Pairs are (pack, code) or (list, role): slugs and codes, which never contain `|`.
    return value if isinstance(value, str) else "|".join(value)


def encode(facts: LineFacts, fact_id: str) -> dict[str, object]:
    """The message durable-rules sees for one line: every field present, no list empty."""
    message: dict[str, object] = {"id": fact_id, "kind": "line", "date": date_number(facts.date)}
    for name in SCALAR_FIELDS:
        message[name] = getattr(facts, name)
    for name in LIST_FIELDS:
        values: frozenset[Atom] = getattr(facts, name)
        message[name] = sorted(_atom(v) for v in values) if values else [EMPTY]
    message["specs_known"] = sorted(facts.specs) or [EMPTY]
    for name, value in facts.specs.items():
        message["spec_" + name] = value
    return message


def count_terms(node: Node) -> int:
    match node:
        case In(_, values) | Has(_, values):
            return len(values)
        case Cmp():
            return 1
        case And(parts) | Or(parts):
            return sum(count_terms(n) for n in parts)
        case Not(part):
            return count_terms(part)
    raise TypeError(f"unknown predicate {node!r}")


def _join(op: str, parts: list[dict[str, object]]) -> dict[str, object]:
    return parts[0] if len(parts) == 1 else {op: parts}


def to_durable(node: Node, negate: bool = False) -> dict[str, object]:
    """Translate a predicate tree to durable-rules' JSON, pushing negation down to the leaves."""
    match node:
        case In(field, values):
            if negate:
                return _join("$and", [{"$neq": {field: v}} for v in values])
            return _join("$or", [{field: v} for v in values])
        case Has(field, values):
            atoms = [_atom(v) for v in values]
            if negate:
                return {"$iall": {field: _join("$and", [{"$neq": {"$i": v}} for v in atoms])}}
            return {"$iany": {field: _join("$or", [{"$i": v} for v in atoms])}}
        case Cmp(field, op, bound):
            if not negate:
                return {_OPS[op]: {field: bound}}
            opposite: dict[str, object] = {_NEG_OPS[op]: {field: bound}}
            if field.startswith("spec_"):
                # not(spec >= x) also holds when the spec is unknown; `$nex` would hang, so ask specs_known.
                unknown: dict[str, object] = {"$iall": {"specs_known": {"$neq": {"$i": field.removeprefix("spec_")}}}}
                return {"$or": [opposite, unknown]}
            return opposite
        case And(parts):
            return _join("$or" if negate else "$and", [to_durable(n, negate) for n in parts])
        case Or(parts):
            return _join("$and" if negate else "$or", [to_durable(n, negate) for n in parts])
        case Not(part):
            return to_durable(part, not negate)
    raise TypeError(f"unknown predicate {node!r}")


# Alternative paths one ruleset may hold (trap 9: the matcher's stack holds 64; the catch-all takes one).
MAX_PATHS = 48


def count_paths(query: object) -> int:
    """Alternative paths a durable-rules condition opens: one per branch of each ``$or``, multiplied by ``$and``."""
    if isinstance(query, dict):
        if "$or" in query:
            return sum(count_paths(q) for q in query["$or"])
        if "$and" in query:
            total = 1
            for q in query["$and"]:
                total *= count_paths(q)
            return total
    return 1


def _partition(rules: Sequence[CompiledRule]) -> list[list[tuple[CompiledRule, dict[str, object]]]]:
    """Rules with their durable-rules conditions, in pack order, cut into chunks that stay within
    MAX_TERMS comparisons (trap 4) and MAX_PATHS alternative paths (trap 9), one pack per chunk."""
    chunks: list[list[tuple[CompiledRule, dict[str, object]]]] = []
    current: list[tuple[CompiledRule, dict[str, object]]] = []
    terms_used = paths_used = 0
    for rule in sorted(rules, key=lambda r: r.packrule.pack):  # stable: pack order, then rule order
        query = to_durable(rule.node)
        terms, paths = count_terms(rule.node), count_paths(query)
        if terms > MAX_TERMS:
            raise RulesetTooLarge(terms, [(rule.id, terms)])
        if paths > MAX_PATHS:
            raise RulesetTooLarge(paths, [(rule.id, paths)], what="alternative paths", limit=MAX_PATHS)
        full = terms_used + terms > MAX_TERMS or paths_used + paths > MAX_PATHS
        if current and (full or current[0][0].packrule.pack != rule.packrule.pack):
            chunks.append(current)
            current, terms_used, paths_used = [], 0, 0
        current.append((rule, query))
        terms_used += terms
        paths_used += paths
    if current:
        chunks.append(current)
    return chunks


class _Ruleset:
    """One durable-rules ruleset holding some of the rules; all its rules belong to ``pack``."""

    __slots__ = ("handle", "pack", "rule_ids")

    def __init__(self, handle: durable_engine.Ruleset, pack: str, rule_ids: tuple[str, ...]) -> None:
        self.handle: durable_engine.Ruleset | None = handle
        self.pack = pack
        self.rule_ids = rule_ids


class DurableMatcher:
    name = "durable"

    def __init__(self, rules: Sequence[CompiledRule], name: str) -> None:
        self._lock = threading.Lock()
        self._fired: list[int] = []
        self._serial = 0
        self._closed = False
        base = f"compliance_{name}_{next(_names)}"
        self._rulesets: list[_Ruleset] = []
        try:
            for n, chunk in enumerate(_partition(rules)):
                definition: dict[str, object] = {}
                for rule, query in chunk:
                    definition[f"r{rule.index}"] = {
                        "all": [{"m": {"$and": [{"kind": "line"}, query]}}],
                        "run": self._action(rule.index),
                    }
                # Catch-all: every line fact is handled, so an unmatched fact is not an exception (trap 3).
                definition["catch_all"] = {"all": [{"m": {"kind": "line"}}], "run": _ignore}
                handle = _create(f"{base}_{n}", definition)
                self._rulesets.append(_Ruleset(handle, chunk[0][0].packrule.pack, tuple(r.id for r, _q in chunk)))
        except BaseException:
            self.close()
            raise

    @property
    def ruleset_count(self) -> int:
        return len(self._rulesets)

    def _action(self, index: int) -> Callable[[object], None]:
        def fire(c: object) -> None:
            self._record(index)

        return fire

    def _record(self, index: int) -> None:
        self._fired.append(index)

    def match(self, facts: Sequence[LineFacts]) -> list[tuple[int, ...]]:
        out: list[tuple[int, ...]] = []
        with self._lock:  # the C ruleset handles are not thread-safe
            if self._closed:
                raise MatchError("the engine was closed")
            for line_facts in facts:
                self._serial += 1
                message = encode(line_facts, f"f{self._serial}")
                self._fired = []
                for ruleset in self._rulesets:
                    # Every rule of a pack requires the line to be in that pack's scope: skip the others.
                    if ruleset.pack in line_facts.scope:
                        self._run(ruleset, "assert", message)
                        self._run(ruleset, "retract", message)
                out.append(tuple(sorted(set(self._fired))))
        return out

    def _run(self, ruleset: _Ruleset, step: str, message: dict[str, object]) -> None:
        errors: list[object] = []

        def complete(error: object, state: object) -> None:
            if error:
                errors.append(error)
            elif isinstance(state, dict) and state.get("exception"):
                errors.append(state["exception"])

        handle = ruleset.handle
        assert handle is not None
        try:
            result = handle.assert_fact(message) if step == "assert" else handle.retract_fact(message)
            handle.do_actions(result, complete)
        except durable_engine.MessageNotHandledException:
            # The catch-all handles every line; "not handled" means the ruleset is not what we built.
            raise MatchError(
                "durable-rules did not handle a line fact (the catch-all rule should have)", ruleset.rule_ids
            ) from None
        except Exception as exc:  # the C engine raises plain errors; fail closed
            raise MatchError(f"durable-rules failed: {exc}", ruleset.rule_ids) from exc
        if errors:
            raise MatchError(f"a rule action failed in durable-rules: {errors[0]}", ruleset.rule_ids)

    def state_size(self) -> int:
        """Facts currently held by the rulesets (0 between evaluations); used by tests."""
        total = 0
        with self._lock:
            for ruleset in self._rulesets:
                facts = ruleset.handle.get_facts("0") if ruleset.handle is not None else []
                total += len(facts) if isinstance(facts, list) else 0
        return total

    def close(self) -> None:
        """Free the C ruleset handles (the engine keeps at most 131,072 of them per process)."""
        with self._lock:
            self._closed = True
            for ruleset in self._rulesets:
                if ruleset.handle is not None:
                    durable_rules_engine.delete_ruleset(ruleset.handle._handle)
                    ruleset.handle = None


def _create(name: str, definition: dict[str, object]) -> durable_engine.Ruleset:
    # Trap 8: create_ruleset now and then fails with "error code: 102" on a definition that loads on the
    # next attempt (seen about once in 20,000 creations in the property tests). Retry a few times; a
    # definition that keeps failing is a real error.
    last: Exception | None = None
    for _attempt in range(_CREATE_ATTEMPTS):
        try:
            # Ruleset() pops the actions out of the definition it is given, so each attempt gets a copy.
            return durable_engine.Ruleset(name, _NoHost(), {k: dict(v) for k, v in definition.items()})  # type: ignore[call-overload]
        except durable_rules_engine.error as exc:
            last = exc
    raise MatchError(f"durable-rules could not load the ruleset: {last}")


_CREATE_ATTEMPTS = 3


def _ignore(c: object) -> None:
    return None
