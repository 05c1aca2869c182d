"""The durable-rules matcher: the production matching core.

durable-rules 2.0.28 has sharp edges; each is designed around here and pinned by a test in
tests/match/test_durable_traps.py:

1. ``post()`` consumes an event, so only one of several matching rules fires. We *assert facts*
   instead, which every matching rule sees, collect each firing, then retract the fact.
2. Asserting a fact equal to one in the state raises ``MessageObservedException``: every fact gets
   a unique id (evaluation serial + line) and is retracted after matching, so state never grows.
3. An unmatched fact raises ``MessageNotHandledException`` (and can take matched ones with it in
   ``assert_facts``): a catch-all rule matches every line fact, and facts are asserted one at a time.
4. Large OR chains hang the loader: lists are resolved in the enrich step, and ``MAX_TERMS`` refuses
   a ruleset that would still be too large with a pack error instead of hanging.
5. Exceptions in actions are swallowed into the state (``Promise.run``): actions only append an
   index to a list, and the state is checked after every assert; any error becomes ``MatchError``.
6. The global ``durable.lang`` host registers rulesets by name and starts timer threads that may run
   actions later: we build ``durable.engine.Ruleset`` objects directly, owned by this matcher, with a
   unique name, and never touch the global host.
7. ``$ex``/``$nex`` (field exists) make ``do_actions`` loop forever, and ``$iall`` is false on an
   empty list: facts carry every field, list fields are never empty (see ``enrich.EMPTY``), and
   absent numeric specs are tested through the ``specs_known`` list.
8. ``create_ruleset`` occasionally fails with error 102 on a valid definition and succeeds when
   asked again: creation is retried (``_create``).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Sequence

import durable_rules_engine
from durable import engine as durable_engine

from compliance.evaluate.match import MatchError
from compliance.evaluate.match.predicates import And, Cmp, CompiledRule, Has, In, Node, Not, Or

__all__ = ["MAX_TERMS", "DurableMatcher", "RulesetTooLarge", "count_terms", "to_durable"]

# The C engine keeps at most 512 entries in one hash bucket; rulesets with more equality
# alternatives than this never finish loading. Stay well below it.
MAX_TERMS = 400

_OPS = {"gt": "$gt", "gte": "$gte", "lt": "$lt", "lte": "$lte"}
_NEG_OPS = {"gt": "$lte", "gte": "$lt", "lt": "$gte", "lte": "$gt"}
_names = itertools.count(1)


class RulesetTooLarge(ValueError):
    def __init__(self, terms: int, biggest: list[tuple[str, int]]) -> None:
        self.terms = terms
        self.biggest = biggest
        super().__init__(f"ruleset has {terms} comparison terms; durable-rules hangs above ~512 (limit {MAX_TERMS})")


class _NoHost:
    """Rulesets need a host only to look up actions by name; ours are Python callables."""

    def get_action(self, action_name: str) -> Callable[[object], None]:
        raise LookupError(f"no named action {action_name!r}")


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
            if negate:
                return {"$iall": {field: _join("$and", [{"$neq": {"$i": v}} for v in values])}}
            return {"$iany": {field: _join("$or", [{"$i": v} for v in values])}}
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


class DurableMatcher:
    name = "durable"

    def __init__(self, rules: Sequence[CompiledRule], name: str) -> None:
        self._rules = tuple(rules)
        terms = [(r.id, count_terms(r.node)) for r in self._rules]
        total = sum(t for _, t in terms)
        if total > MAX_TERMS:
            raise RulesetTooLarge(total, sorted(terms, key=lambda t: -t[1])[:5])
        self._lock = threading.Lock()
        self._fired: list[int] = []
        self._serial = 0
        definition: dict[str, object] = {}
        for rule in self._rules:
            definition[f"r{rule.index}"] = {
                "all": [{"m": {"$and": [{"kind": "line"}, to_durable(rule.node)]}}],
                "run": self._action(rule.index),
            }
        # Catch-all: every line fact is handled, so an unmatched fact is not an exception (trap 3).
        definition["catch_all"] = {"all": [{"m": {"kind": "line"}}], "run": _ignore}
        self._ruleset_name = f"compliance_{name}_{next(_names)}"
        self._ruleset: durable_engine.Ruleset | None = _create(self._ruleset_name, definition)

    def _action(self, index: int) -> Callable[[object], None]:
        def fire(c: object) -> None:
            self._record(index)

        return fire

    def _record(self, index: int) -> None:
        self._fired.append(index)

    def match(self, facts: Sequence[dict[str, object]]) -> list[tuple[int, ...]]:
        out: list[tuple[int, ...]] = []
        with self._lock:  # the C ruleset handle is not thread-safe
            if self._ruleset is None:
                raise MatchError("the engine was closed")
            for fact in facts:
                self._serial += 1
                message = dict(fact)
                message["id"] = f"f{self._serial}"
                self._fired = []
                self._run(self._ruleset.assert_fact, message)
                fired = tuple(sorted(set(self._fired)))
                self._run(self._ruleset.retract_fact, message)
                out.append(fired)
        return out

    def _run(self, step: Callable[[dict[str, object]], object], message: dict[str, object]) -> None:
        errors: list[object] = []

        def complete(error: object, state: object) -> None:
            if error:
                errors.append(error)
            elif isinstance(state, dict) and state.get("exception"):
                errors.append(state["exception"])

        assert self._ruleset is not None
        try:
            handle = step(message)
            self._ruleset.do_actions(handle, complete)
        except durable_engine.MessageNotHandledException:
            return  # nothing matched, not even the catch-all: no rule applies
        except Exception as exc:  # the C engine raises plain errors; fail closed
            raise MatchError(f"durable-rules failed: {exc}") from exc
        if errors:
            raise MatchError(f"a rule action failed in durable-rules: {errors[0]}")

    def state_size(self) -> int:
        """Facts currently held by the ruleset (0 between evaluations); used by tests."""
        with self._lock:
            facts = self._ruleset.get_facts("0") if self._ruleset is not None else []
        return len(facts) if isinstance(facts, list) else 0

    def close(self) -> None:
        """Free the C ruleset handle (the engine keeps at most 131,072 of them per process)."""
        with self._lock:
            if self._ruleset is not None:
                durable_rules_engine.delete_ruleset(self._ruleset._handle)
                self._ruleset = None


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
