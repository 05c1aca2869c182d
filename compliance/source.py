"""Safe, bounded loading of YAML and JSON documents with a line:column for every node.

Only plain data is read: no Python tags, no implicit timestamps (dates stay strings for the models to
judge), and only ``true``/``false`` are booleans, so ``NO`` stays Norway. Duplicate keys are rejected
and the size, nesting depth and alias expansion of a document are capped, so a hostile file ("billion
laughs", a binary blob, a huge file) fails with a problem instead of hanging or exhausting memory.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from compliance.errors import InputError, Location, Problem

__all__ = [
    "Document",
    "Limits",
    "PathKey",
    "Refine",
    "data_path",
    "load_document",
    "parse_bytes",
    "parse_text",
    "pydantic_problems",
    "read_bounded",
]

PathKey = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Limits:
    """Caps applied to every document; generous for real packs and transactions."""

    max_bytes: int = 8 * 1024 * 1024
    max_depth: int = 64
    max_nodes: int = 1_000_000
    # Values built by following aliases: reuse of a citation is fine, a "billion laughs" is not.
    max_alias_nodes: int = 10_000


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True, slots=True)
class Document:
    """Plain data read from a file plus the position of every value and mapping key.

    JSON documents carry their ``text`` instead of positions: positions are worked out (by reading the text
    as YAML, which JSON nearly is) only when a problem must be located, so valid input costs nothing extra.
    ``line_offset`` shifts positions for a document that is one line of a larger file (JSON Lines).
    """

    path: str
    data: object
    spans: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    key_spans: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    text: str | None = field(default=None, compare=False, repr=False)
    line_offset: int = 0
    _lazy: dict[str, dict[PathKey, tuple[int, int]]] = field(default_factory=dict, compare=False, repr=False)

    def _positions(self) -> tuple[dict[PathKey, tuple[int, int]], dict[PathKey, tuple[int, int]]]:
        if self.text is None or self.spans:
            return self.spans, self.key_spans
        if not self._lazy:
            try:
                located = parse_text(self.text, self.path)
                self._lazy["spans"], self._lazy["keys"] = located.spans, located.key_spans
            except InputError:
                self._lazy["spans"], self._lazy["keys"] = {(): (1, 1)}, {}
        return self._lazy["spans"], self._lazy["keys"]

    def locate(self, loc: PathKey, *, key: bool = False) -> Location:
        """The closest known position for ``loc``: the value itself, else its nearest parent."""
        spans, key_spans = self._positions()
        if key and loc in key_spans:
            line, col = key_spans[loc]
            return Location(self.path, line + self.line_offset, col)
        probe = tuple(loc)
        while True:
            if probe in spans:
                line, col = spans[probe]
                return Location(self.path, line + self.line_offset, col)
            if not probe:
                return Location(self.path, 1 + self.line_offset, 1)
            probe = probe[:-1]


_INT = re.compile(r"^[-+]?[0-9]+$")
_FLOAT = re.compile(r"^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$|^[-+]?[0-9]+[eE][-+]?[0-9]+$")
_STR_TAG = "tag:yaml.org,2002:str"
_PLAIN_TAGS = {
    _STR_TAG,
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
}


class _Loader(yaml.SafeLoader):
    """SafeLoader whose only implicit types are int, float, null and true/false.

    PyYAML's composer recurses once per nesting level, so ``[[[[...]]]]`` a hundred thousand deep would
    end in a ``RecursionError``; the depth is counted here and refused long before that.
    """

    max_depth = DEFAULT_LIMITS.max_depth

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        depth = getattr(self, "_depth", 0) + 1
        if depth > self.max_depth + 1:
            raise _TooDeep(self.peek_event().start_mark)  # type: ignore[no-untyped-call]
        self._depth = depth
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth = depth - 1


class _TooDeep(Exception):
    def __init__(self, mark: yaml.Mark) -> None:
        super().__init__("too deep")
        self.mark = mark


_Loader.yaml_implicit_resolvers = {}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|false)$"), list("tf"))
_Loader.add_implicit_resolver("tag:yaml.org,2002:null", re.compile(r"^(?:~|null|)$"), ["~", "n", ""])
_Loader.add_implicit_resolver("tag:yaml.org,2002:int", _INT, list("-+0123456789"))
_Loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789."))

if getattr(yaml, "__with_libyaml__", False):

    class _FastLoader(yaml.CSafeLoader):
        """libyaml's composer with this module's resolvers (only true/false are booleans, dates stay strings)."""

    _FastLoader.yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers


# Large pack files (party lists, the catalog) are composed by libyaml when it is installed: the same nodes with the
# same positions, several times faster than PyYAML's pure-Python composer. Its C composer recurses once per nesting
# level without PyYAML's depth guard, so it is used only when a linear pre-scan bounds the nesting well below what the
# C stack takes; the depth limit itself is then enforced on the nodes by _Builder as always. Anything libyaml refuses,
# or any text with characters PyYAML's reader refuses, goes the pure-Python way, whose errors and positions are the
# documented ones.
_FAST_FROM = 4_096
_FAST_MAX_NESTING = 1_000
_CLoader: type | None = getattr(yaml, "CSafeLoader", None) if getattr(yaml, "__with_libyaml__", False) else None
_INDENT = re.compile(r"^[ ]*", re.MULTILINE)


def _nesting_bound(text: str) -> int:
    """An upper bound on node depth: flow brackets plus two levels per indentation column (block sequences may sit
    at their key's indentation, so a level does not always indent)."""
    indent = max((len(m) for m in _INDENT.findall(text)), default=0)
    flow = depth = 0
    for char in text:
        if char in "[{":
            depth += 1
            flow = max(flow, depth)
        elif char in "]}" and depth:
            depth -= 1
    return flow + 2 * (indent + 1) + 2


def _compose_fast(text: str) -> Node | None:
    """The document's root node composed by libyaml, or ``None`` to take the pure-Python path."""
    if _CLoader is None or yaml.reader.Reader.NON_PRINTABLE.search(text):
        return None
    if _nesting_bound(text) > _FAST_MAX_NESTING:
        return None
    loader = _FastLoader(text)
    try:
        node: Node | None = loader.get_single_node()
        return node
    except yaml.YAMLError:
        return None  # the pure-Python composer reports it, with PyYAML's position and wording
    finally:
        loader.dispose()


class _Builder:
    def __init__(self, path: str, limits: Limits) -> None:
        self.path = path
        self.limits = limits
        self.nodes = 0
        self.spans: dict[PathKey, tuple[int, int]] = {}
        self.key_spans: dict[PathKey, tuple[int, int]] = {}
        self.problems: list[Problem] = []
        self.built: set[int] = set()
        self.stack: set[int] = set()
        self.alias_nodes = 0

    def _at(self, node: Node) -> Location:
        return Location(self.path, node.start_mark.line + 1, node.start_mark.column + 1)

    def _fail(self, node: Node, code: str, message: str, help: str | None = None) -> None:
        self.problems.append(Problem(self._at(node), code, message, help=help))

    def build(self, node: Node, loc: PathKey, depth: int, aliased: bool = False) -> object:
        self.nodes += 1
        if self.nodes > self.limits.max_nodes:
            raise _TooBig(node, f"more than {self.limits.max_nodes} values")
        if depth > self.limits.max_depth:
            raise _TooBig(node, f"nesting deeper than {self.limits.max_depth} levels")
        key = id(node)
        if key in self.stack:
            raise _TooBig(node, "an alias refers to a node that contains it (recursive alias)")
        if key in self.built and isinstance(node, (SequenceNode, MappingNode)):
            aliased = True  # a second visit of the same collection: the document uses an alias
        self.built.add(key)
        if aliased:
            self.alias_nodes += 1
            if self.alias_nodes > self.limits.max_alias_nodes:
                raise _TooBig(
                    node, f'aliases expand to more than {self.limits.max_alias_nodes} values ("billion laughs"?)'
                )
        self.stack.add(key)
        try:
            return self._build(node, loc, depth, aliased)
        finally:
            self.stack.discard(key)

    def _build(self, node: Node, loc: PathKey, depth: int, aliased: bool) -> object:
        self.spans[loc] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if node.tag not in _PLAIN_TAGS:
            self._fail(node, "yaml-tag", f"tag {node.tag!r} is not allowed; packs hold plain data only")
            return None
        if isinstance(node, ScalarNode):
            return _scalar(node)
        if isinstance(node, SequenceNode):
            return [self.build(child, (*loc, i), depth + 1, aliased) for i, child in enumerate(node.value)]
        if isinstance(node, MappingNode):
            out: dict[str, object] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, ScalarNode):
                    self._fail(key_node, "yaml-key", "a mapping key must be a plain scalar")
                    continue
                key = str(key_node.value) if key_node.tag == _STR_TAG else str(_scalar(key_node))
                if key == "<<":
                    self._fail(key_node, "yaml-merge", "merge keys (<<) are not supported; write the keys out")
                    continue
                if key in out:
                    self._fail(key_node, "duplicate-key", f"key {key!r} appears twice in this mapping")
                    continue
                self.key_spans[(*loc, key)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                out[key] = self.build(value_node, (*loc, key), depth + 1, aliased)
            return out
        self._fail(node, "yaml-node", "unsupported YAML node")
        return None


class _TooBig(Exception):
    def __init__(self, node: Node, why: str) -> None:
        super().__init__(why)
        self.node = node
        self.why = why


def _scalar(node: ScalarNode) -> object:
    value: str = node.value
    if node.tag == "tag:yaml.org,2002:bool":
        return value == "true"
    if node.tag == "tag:yaml.org,2002:null":
        return None
    if node.tag == "tag:yaml.org,2002:int":
        return int(value)
    if node.tag == "tag:yaml.org,2002:float":
        return float(value)
    return value


def parse_text(text: str, path: str, *, limits: Limits = DEFAULT_LIMITS, fmt: str = "yaml") -> Document:
    """Parse YAML (or JSON, which is read by ``json`` for exactness) into a located :class:`Document`."""
    if "\x00" in text:
        raise InputError(
            [Problem(Location(path, 1, 1), "binary", "file contains NUL bytes; expected YAML or JSON text")]
        )
    if fmt == "json":
        return _parse_json(text, path, limits)
    try:
        root = _compose_fast(text) if len(text) >= _FAST_FROM else None
        if root is None:
            loader = _Loader(text)
            loader.max_depth = limits.max_depth
            try:
                root = loader.get_single_node()
            finally:
                loader.dispose()
    except _TooDeep as deep:
        loc = Location(path, deep.mark.line + 1, deep.mark.column + 1)
        raise InputError(
            [Problem(loc, "too-large", f"document refused: nesting deeper than {limits.max_depth} levels")]
        ) from None
    except RecursionError:
        raise InputError([Problem(Location(path, 1, 1), "too-large", "document refused: nesting too deep")]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = Location(path, mark.line + 1, mark.column + 1) if mark else Location(path, 1, 1)
        raise InputError([Problem(loc, "yaml-syntax", f"YAML syntax error: {exc.problem or exc}")]) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        col = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        raise InputError(
            [
                Problem(
                    Location(path, line, col),
                    "encoding",
                    f"control character {char!r} (U+{ord(char):04X}) is not allowed in YAML",
                    help="remove it; packs are plain UTF-8 text",
                )
            ]
        ) from None
    except yaml.YAMLError as exc:
        raise InputError([Problem(Location(path, 1, 1), "yaml-syntax", f"YAML error: {exc}")]) from None
    if root is None:
        return Document(path, None, {(): (1, 1)})
    builder = _Builder(path, limits)
    try:
        data = builder.build(root, (), 0)
    except _TooBig as big:
        loc = Location(path, big.node.start_mark.line + 1, big.node.start_mark.column + 1)
        raise InputError([Problem(loc, "too-large", f"document refused: {big.why}")]) from None
    if builder.problems:
        raise InputError(builder.problems)
    return Document(path, data, builder.spans, builder.key_spans)


def _parse_json(text: str, path: str, limits: Limits) -> Document:
    problems: list[Problem] = []

    def pairs(items: list[tuple[str, object]]) -> dict[str, object]:
        out = dict(items)
        if len(out) != len(items):  # the fast path builds the dict in C; only a duplicate pays for the loop
            seen: set[str] = set()
            for key, _value in items:
                if key in seen:
                    problems.append(Problem(Location(path), "duplicate-key", f"key {key!r} appears twice in an object"))
                seen.add(key)
        return out

    try:
        data = json.loads(text, object_pairs_hook=pairs)
    except json.JSONDecodeError as exc:
        raise InputError(
            [Problem(Location(path, exc.lineno, exc.colno), "json-syntax", f"JSON syntax error: {exc.msg}")]
        ) from None
    except RecursionError:
        raise InputError([Problem(Location(path, 1, 1), "too-large", "document refused: nesting too deep")]) from None
    if problems:
        raise InputError(problems)
    return Document(path, data, text=text)


def read_bounded(path: str | Path, name: str, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """Read at most ``max_bytes`` (plus one, to tell) so a huge or endless file never fills memory."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(limits.max_bytes + 1)
    except OSError as exc:
        raise InputError([Problem(Location(name), "unreadable", f"cannot read file: {exc.strerror or exc}")]) from None
    if len(raw) > limits.max_bytes:
        raise InputError(
            [
                Problem(
                    Location(name),
                    "too-large",
                    f"file is larger than the limit of {limits.max_bytes} bytes",
                    help="split the data into several files",
                )
            ]
        )
    return raw


def load_document(path: str | Path, *, limits: Limits = DEFAULT_LIMITS, display: str | None = None) -> Document:
    """Read and parse one file; every failure is an :class:`InputError` naming the file."""
    name = display or str(path)
    raw = read_bounded(path, name, limits)
    return parse_bytes(raw, name, limits=limits, fmt="json" if Path(path).suffix.lower() == ".json" else "yaml")


_WIDE_BOMS = {
    b"\xff\xfe\x00\x00": "UTF-32",
    b"\x00\x00\xfe\xff": "UTF-32",
    b"\xff\xfe": "UTF-16",
    b"\xfe\xff": "UTF-16",
}


def parse_bytes(raw: bytes, name: str, *, limits: Limits = DEFAULT_LIMITS, fmt: str = "yaml") -> Document:
    """Decode (UTF-8 only) and parse; binary data and other encodings are a located problem, never a crash."""
    if len(raw) > limits.max_bytes:
        raise InputError(
            [Problem(Location(name), "too-large", f"input is {len(raw)} bytes; the limit is {limits.max_bytes}")]
        )
    for bom, encoding in _WIDE_BOMS.items():
        if raw.startswith(bom):
            raise InputError(
                [
                    Problem(
                        Location(name, 1, 1),
                        "encoding",
                        f"file is {encoding} text; expected UTF-8",
                        help="save the file as UTF-8",
                    )
                ]
            )
    if b"\x00" in raw:
        raise InputError(
            [Problem(Location(name, 1, 1), "binary", "file contains NUL bytes; expected YAML or JSON text")]
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputError(
            [
                Problem(
                    Location(name, line, col),
                    "encoding",
                    "file is not valid UTF-8 text",
                    help="save the file as UTF-8 (a Latin-1 or Windows-1252 file needs converting)",
                )
            ]
        ) from None
    return parse_text(text, name, limits=limits, fmt=fmt)


# ------------------------------------------------------------------------ pydantic errors -> located problems

# (doc, data path, pydantic error type, location, code, message, help, union tag) -> (location, code, message, help)
Refine = Callable[[Document, PathKey, str, Location, str, str, str | None, str], tuple[Location, str, str, str | None]]

_CODES = {
    "union_tag_invalid": "invalid-value",
    "union_tag_not_found": "missing-field",
    "literal_error": "invalid-value",
    "string_pattern_mismatch": "invalid-format",
    "value_error": "invalid-value",
    "too_short": "empty",
}


def pydantic_problems(
    exc: ValidationError, doc: Document, *, vocabulary: Sequence[str], refine: Refine | None = None
) -> list[Problem]:
    """Every error of ``exc`` as a problem located in ``doc``; union tags in ``loc`` are dropped.

    ``vocabulary`` is the field names offered as "did you mean" for an unknown key; ``refine`` lets a
    contract give its own codes to some errors (packs name ``missing-citation``, ``inverted-window``, ...).
    """
    problems = []
    for err in exc.errors(include_url=False):
        loc, kind = data_path(doc.data, tuple(err["loc"]), err["type"])
        msg = str(err["msg"]).removeprefix("Value error, ")
        help_text = None
        field_name = ".".join(str(p) for p in loc) or "(document)"
        if kind == "extra_forbidden":
            key = str(loc[-1]) if loc else ""
            location = doc.locate(loc, key=True)
            close = difflib.get_close_matches(key, vocabulary, n=1, cutoff=0.6) if vocabulary else []
            msg = f"unknown key {key!r}"
            if close:
                help_text = f"did you mean {close[0]!r}?"
            code = "unknown-key"
        elif kind == "missing":
            location = doc.locate(loc[:-1])
            msg = f"required field {str(loc[-1])!r} is missing"
            code = "missing-field"
        else:
            location = doc.locate(loc)
            code = _CODES.get(kind, "invalid-value")
        if refine is not None:
            tag = str((err.get("ctx") or {}).get("discriminator", "")).strip("'")
            location, code, msg, help_text = refine(doc, loc, kind, location, code, msg, help_text, tag)
        problems.append(Problem(location, code, f"{field_name}: {msg}", help=help_text))
    return problems


def data_path(data: object, loc: tuple[object, ...], kind: str) -> tuple[PathKey, str]:
    """The path in ``data`` that a pydantic ``loc`` names, without union tags and model names."""
    out: list[str | int] = []
    node = data
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(node, dict) and isinstance(part, str):
            if part in node:
                out.append(part)
                node = node[part]
            elif last and kind in ("missing", "extra_forbidden"):
                out.append(part)
            # else: a discriminated-union tag or model name that is not in the data
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            out.append(part)
            node = node[part]
        elif last and isinstance(part, (str, int)) and kind in ("missing", "extra_forbidden"):
            out.append(part)
    return tuple(out), kind
