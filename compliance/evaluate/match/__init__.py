"""Matchers: given typed line facts, which rules apply. Two interchangeable backends.

``durable`` runs the rules on durable-rules (the production core); ``reference`` evaluates the same
predicate trees in plain Python and is the oracle the tests compare durable-rules against. ``memo`` wraps
either with a cache keyed by what the rules can tell apart.

durable-rules ships only C source. Where it cannot be loaded at all (no compiler at install time, an interpreter
whose C API it predates: see the README's install line for Python 3.13), ``durable`` falls back to the reference
matcher, which the differential tests keep equal to it, and says so once on stderr (a ``RuntimeWarning``).
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Sequence

from compliance.evaluate.match.base import BACKENDS, Backend, Matcher, MatchError
from compliance.evaluate.match.predicates import CompiledRule
from compliance.evaluate.match.reference import ReferenceMatcher

__all__ = ["BACKENDS", "Backend", "DurableUnavailable", "MatchError", "Matcher", "durable_unavailable", "make_matcher"]


class DurableUnavailable(RuntimeWarning):
    """durable-rules could not be loaded; the reference matcher decides instead."""


@functools.cache
def durable_unavailable() -> str | None:
    """Why the durable-rules core cannot be loaded in this interpreter, or ``None`` when it can."""
    try:
        # Imported here, not above: loading the C extension is the durable backend's business alone.
        import compliance.evaluate.match.durable  # noqa: F401
    except ImportError as exc:  # e.g. "undefined symbol: PyEval_CallObject" from a build for an older C API
        return f"{type(exc).__name__}: {exc}"
    return None


def make_matcher(backend: str, rules: Sequence[CompiledRule], name: str) -> Matcher:
    if backend == "durable":
        reason = durable_unavailable()
        if reason is None:
            from compliance.evaluate.match.durable import DurableMatcher

            return DurableMatcher(rules, name)
        # One warning location, so Python's default filter shows it once per process.
        warnings.warn(
            f"durable-rules cannot be loaded ({reason}); using the reference matcher, which decides the same",
            DurableUnavailable,
            stacklevel=1,
        )
        return ReferenceMatcher(rules)
    if backend == "reference":
        return ReferenceMatcher(rules)
    raise ValueError(f"unknown matcher backend {backend!r}; choose one of {', '.join(BACKENDS)}")
