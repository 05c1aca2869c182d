"""One rule-pack file at a time: read it (bounded), parse it, validate it against the model its ``kind`` names.

Problems are located (file:line:column) and given the pack contract's own codes (``missing-citation``,
``inverted-window``, ``wrong-type``, ...); a rules file with a schema error keeps its valid rules so that
references and ids are still checked in the same run.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from compliance.errors import InputError, Location, PackError, Problem
from compliance.models import pack as pack_models
from compliance.models.pack import PackFile, Rule, RulesFile
from compliance.source import Document, PathKey, data_path, parse_bytes, pydantic_problems, read_bounded

__all__ = [
    "SENTINEL",
    "TEST_DIR_NAMES",
    "FileResult",
    "ParsedFile",
    "iter_pack_files",
    "pack_problems",
    "read_pack_file",
    "sentinel_problems",
]

TEST_DIR_NAMES = frozenset({"tests"})
_FILE_ADAPTER: TypeAdapter[PackFile] = TypeAdapter(PackFile)


def _field_names() -> list[str]:
    """Every field name in the pack contract, for "did you mean" on an unknown key."""
    names: set[str] = set()
    for obj in vars(pack_models).values():
        fields = getattr(obj, "model_fields", None)
        if isinstance(fields, dict):
            for name, info in fields.items():
                names.add(info.alias or name)
    return sorted(names)


_FIELD_NAMES = _field_names()


def pack_problems(exc: ValidationError, doc: Document) -> list[Problem]:
    """A pydantic error in a pack (or case) file as located problems, with the pack contract's own codes."""
    return pydantic_problems(exc, doc, vocabulary=_FIELD_NAMES, refine=_refine)


_TYPE_ERRORS = frozenset(
    {
        "string_type",
        "int_type",
        "float_type",
        "bool_type",
        "list_type",
        "dict_type",
        "model_type",
        "model_attributes_type",
        "int_from_float",
        "date_type",
    }
)


def _refine(
    doc: Document,
    loc: PathKey,
    kind: str,
    location: Location,
    code: str,
    msg: str,
    help_text: str | None,
    tag: str,
) -> tuple[Location, str, str, str | None]:
    """Pack-specific codes for problems that have a name in the house style (``missing-citation``, ...)."""
    if loc and loc[-1] in ("citations", "sources") and kind in ("missing", "too_short"):
        return (
            location,
            "missing-citation",
            "every rule and data record cites the law behind it",
            ('add `citations: [{cite: "15 CFR 744.11"}]` (see docs/ci.md for recognised forms)'),
        )
    if kind == "value_error" and msg.startswith("effective_to "):
        return doc.locate((*loc, "effective_to")), "inverted-window", msg, "effective_to is the last day in force"
    if kind == "union_tag_invalid" and tag:
        return doc.locate((*loc, tag)), code, msg, help_text  # point at `effect: forbid`, not the whole rule
    if kind in _TYPE_ERRORS:
        return location, "wrong-type", msg, help_text
    return location, code, msg, help_text


def iter_pack_files(roots: Sequence[str | Path]) -> Iterator[tuple[Path, str]]:
    """YAML files under each root (or the root file itself), in a stable order; test folders are skipped."""
    for root in roots:
        root_path = Path(root)
        if root_path.is_file():
            yield root_path, str(root_path)
            continue
        if not root_path.is_dir():
            raise PackError([Problem(Location(str(root_path)), "no-such-path", "rule pack directory does not exist")])
        files = sorted(
            p
            for p in root_path.rglob("*")
            if p.suffix in (".yaml", ".yml")
            and p.is_file()
            and not (TEST_DIR_NAMES & set(p.relative_to(root_path).parts[:-1]))
        )
        for p in files:
            yield p, str(p)


@dataclass(frozen=True, slots=True)
class ParsedFile:
    """One pack file that parsed and matched its model; kept for the checks ``validate`` adds."""

    name: str
    raw: bytes
    doc: Document
    model: object
    # For a rules file recovered rule by rule after a schema error: the index in the file of each rule kept.
    rule_index: tuple[int, ...] | None = None

    def rules(self) -> list[tuple[int, Rule]]:
        """``(index in the file, rule)`` for each rule this file contributes."""
        if not isinstance(self.model, RulesFile):
            return []
        if self.rule_index is None:
            return list(enumerate(self.model.rules))
        return list(zip(self.rule_index, self.model.rules, strict=True))


@dataclass(frozen=True, slots=True)
class FileResult:
    """What reading one file gave: the parsed file (if any), its problems, and whether it holds test cases."""

    parsed: ParsedFile | None
    problems: tuple[Problem, ...]
    is_tests: bool = False


def read_pack_file(path: Path, name: str) -> FileResult:
    """Read, parse and validate one pack file; never raises on bad content."""
    try:
        raw = read_bounded(path, name)
        doc = parse_bytes(raw, name)
    except InputError as exc:
        return FileResult(None, exc.problems)
    if isinstance(doc.data, dict) and doc.data.get("kind") == "tests":
        return FileResult(None, (), is_tests=True)  # a test-case file given by name; `cases` reads it
    if not isinstance(doc.data, dict) or "kind" not in doc.data:
        missing = Problem(
            doc.locate(()),
            "missing-field",
            "(document): required field 'kind' is missing",
            help="start the file with `kind: pack`, `rules`, `catalog`, `materials`, `country-groups` or `party-list`",
        )
        return FileResult(None, (missing,))
    sentinels = sentinel_problems(doc)
    try:
        model = _FILE_ADAPTER.validate_python(doc.data)
    except ValidationError as exc:
        # A sentinel is reported once, as itself, not again as the type error it also causes.
        taken = {p.location for p in sentinels}
        problems = [p for p in pack_problems(exc, doc) if p.location not in taken] + sentinels
        return FileResult(_recover_rules(doc, raw), tuple(problems))
    return FileResult(ParsedFile(name, raw, doc, model), tuple(sentinels))


# The durable matcher fills empty list facts with "~" (its EMPTY), and YAML reads a bare `~` as
# null, which pydantic takes as "key absent": `destinations: ~` would silently drop a test and widen
# the rule. Neither may appear as a condition value.
SENTINEL = "~"


def sentinel_problems(doc: Document) -> list[Problem]:
    """Every null or ``"~"`` inside a rule's ``when``/``unless``, located."""
    data = doc.data
    if not isinstance(data, dict) or data.get("kind") != "rules" or not isinstance(data.get("rules"), list):
        return []
    out: list[Problem] = []

    def walk(value: object, at: PathKey) -> None:
        if value is None or value == SENTINEL:
            out.append(
                Problem(
                    doc.locate(at),
                    "sentinel-value",
                    f"{'.'.join(str(p) for p in at)}: `~` (null) is not a condition value; "
                    "the engine uses it internally for 'no value'",
                    help="list real values, or remove the key to make no test on it",
                )
            )
        elif isinstance(value, dict):
            for key, sub in value.items():
                walk(sub, (*at, key))
        elif isinstance(value, list):
            for i, sub in enumerate(value):
                walk(sub, (*at, i))

    for i, rule in enumerate(data["rules"]):
        if isinstance(rule, dict):
            for key in ("when", "unless"):
                if key in rule:
                    walk(rule[key], ("rules", i, key))
    return out


_RULE_ADAPTER: TypeAdapter[Rule] = TypeAdapter(Rule)


def _recover_rules(doc: Document, raw: bytes) -> ParsedFile | None:
    """After a schema error in a rules file, keep the rules that are valid (ignoring their unknown keys, which
    are already reported) so their references and ids are still checked: every problem in one run."""
    data = doc.data
    if not isinstance(data, dict) or data.get("kind") != "rules" or not isinstance(data.get("rules"), list):
        return None
    pack = data.get("pack")
    if not isinstance(pack, str):
        return None
    kept: list[tuple[int, Rule]] = []
    for i, item in enumerate(data["rules"]):
        candidate = item
        for _attempt in range(2):
            try:
                kept.append((i, _RULE_ADAPTER.validate_python(candidate)))
                break
            except ValidationError as exc:
                errors = exc.errors(include_url=False)
                if _attempt or not isinstance(item, dict) or any(e["type"] != "extra_forbidden" for e in errors):
                    break
                unknown = {data_path(item, tuple(e["loc"]), e["type"])[0] for e in errors}
                candidate = {k: v for k, v in item.items() if (k,) not in unknown}
    if not kept:
        return None
    model = RulesFile.model_construct(kind="rules", pack=pack, rules=[r for _i, r in kept])
    return ParsedFile(doc.path, raw, doc, model, tuple(i for i, _r in kept))
