"""The trade.gov Consolidated Screening List (CSL), read from the file a user downloaded, as a party-list pack.

The CSL is published as CSV and JSON with one record per listed party: ``source`` (the list: "Entity List
(EL) - Bureau of Industry and Security", "Specially Designated Nationals (SDN) - Treasury Department", ...),
``name``, ``alt_names``, ``addresses`` (the country last, as an ISO code), ``start_date``, ``end_date``,
``federal_register_notice``, ``license_requirement``, ``license_policy``, ``programs``, ``remarks`` and the
source's URLs. In the CSV, several values in one cell are separated by ``; ``; in the JSON they are lists
(addresses are objects with a ``country``), under ``results``.

:func:`parse` reads the records (every problem located: the CSV line, the JSON record number; nothing is
skipped silently: a file with a bad record is refused whole). :func:`build_pack` turns them into the files
of a pack: one party list per source (split into files of ``CHUNK`` entries), each with a rule that states
its effect in law, and a test case per rule. The effects:

==========================  ======================================================================
source                      effect
==========================  ======================================================================
Entity List (EL)            licence required (BIS), the entry's own requirement and review policy
                            in the finding; an entry whose requirement is narrower than "all items
                            subject to the EAR" is a review (the engine cannot tell which items it
                            covers)
Military End User (MEU)     review: a licence is required for items in Supp. No. 2 to part 744
                            (744.21), which the engine cannot tell from the order
Unverified List (UVL)       review: a UVL statement is required and no licence exception applies
                            (744.15)
Denied Persons (DPL)        deny: General Prohibition Four (736.2(b)(4)), the denial order
SDN, FSE (OFAC)             deny, citing the entry's sanctions programs (31 CFR chapter V)
other OFAC lists            review: SSI, NS-MBS, CAPTA, CMIC and PLC restrict particular kinds of
                            transaction (debt, equity, correspondent accounts, securities), not all
                            dealings
ITAR Debarred (DTC), ISN    review: they bear on defence articles and on the sanctions each names
any other source            review, naming the source
==========================  ======================================================================
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from compliance.citations import citation_url
from compliance.codes import COUNTRY_CODES
from compliance.errors import Location, Problem

__all__ = [
    "CHUNK",
    "CSL_URL",
    "EARLIEST",
    "SOURCES",
    "CslRecord",
    "ImportResult",
    "Source",
    "build_pack",
    "parse",
]

CSL_URL = "https://www.trade.gov/consolidated-screening-list"
CHUNK = 5000  # entries per party-list file: a file stays well under the loader's size limit
# A record without a start date is treated as listed on every date: the earliest date the pack covers.
EARLIEST = dt.date(1900, 1, 1)
_SUCCESSOR = re.compile(r",?\s*and any successor,? sub-unit,? or subsidiary thereof\.?\s*$", re.IGNORECASE)
_FR = re.compile(r"(\d{1,3})\s*F\.?\s?R\.?\s*(\d{1,6})(?:\s+(\d{1,2})/(\d{1,2})/(\d{4}))?")
_CODE = re.compile(r"\(([A-Z][A-Z-]*[A-Z])(?: List)?\)")
_ROLES = ["purchaser", "intermediate_consignee", "ultimate_consignee", "end_user"]


@dataclass(frozen=True, slots=True)
class Source:
    """One list of the CSL and what being on it means."""

    code: str  # the abbreviation in the source's name: EL, SDN, ...
    slug: str
    title: str
    effect: str  # deny | license_required | review
    citations: tuple[dict[str, str], ...]
    message: str
    note: str


_OFAC_CITE = {"cite": "31 CFR parts 500-599", "title": "Office of Foreign Assets Control regulations"}
SOURCES: dict[str, Source] = {
    s.code: s
    for s in (
        Source(
            "EL",
            "el",
            "BIS Entity List (CSL import)",
            "license_required",
            ({"cite": "15 CFR 744.11"}, {"cite": "15 CFR part 744 Supplement No. 4", "title": "Entity List"}),
            "A party on the Entity List is purchaser, consignee or end user: a BIS licence is required as the "
            "entry states (its licence requirement and review policy are in the listing), and licence exceptions "
            "are available only as the entry says.",
            "Imported from the CSL. The rule requires a licence for every line; the entry's own requirement is "
            "quoted in the listing. Entries whose requirement is narrower than all items subject to the EAR are "
            "in the `-scoped` list, reviewed instead.",
        ),
        Source(
            "MEU",
            "meu",
            "BIS Military End-User List (CSL import)",
            "review",
            (
                {"cite": "15 CFR 744.21"},
                {"cite": "15 CFR part 744 Supplement No. 7", "title": "Military End-User List"},
                {"cite": "15 CFR part 744 Supplement No. 2", "title": "Items subject to the military end-use rule"},
            ),
            "A party on the Military End-User List: a BIS licence is required for any item listed in Supplement "
            "No. 2 to part 744 (15 CFR 744.21); check whether the line's item is one of them before shipping.",
            "The engine does not know which ECCNs Supplement No. 2 lists, so every line is held for review.",
        ),
        Source(
            "UVL",
            "uvl",
            "BIS Unverified List (CSL import)",
            "review",
            ({"cite": "15 CFR 744.15"}, {"cite": "15 CFR part 744 Supplement No. 6", "title": "Unverified List"}),
            "A party on the Unverified List: obtain the UVL statement from the party before shipping (15 CFR "
            "744.15(b)); no licence exception may be used.",
            "Imported from the CSL.",
        ),
        Source(
            "DPL",
            "dpl",
            "BIS Denied Persons List (CSL import)",
            "deny",
            ({"cite": "15 CFR 736.2(b)(4)", "title": "General Prohibition Four: denial orders"},),
            "A party is subject to a BIS denial order: taking part in an export with it is prohibited "
            "(General Prohibition Four).",
            "Imported from the CSL; the order's Federal Register notice is on the entry.",
        ),
        Source(
            "SDN",
            "sdn",
            "OFAC Specially Designated Nationals and Blocked Persons (CSL import)",
            "deny",
            (_OFAC_CITE,),
            "A party is a Specially Designated National: its property is blocked and US persons may not deal "
            "with it under the sanctions programs named in the entry, unless OFAC authorises the transaction.",
            "Imported from the CSL; the entry cites its programs. An OFAC licence is not modelled as a licence "
            "on file: the finding is a deny.",
        ),
        Source(
            "FSE",
            "fse",
            "OFAC Foreign Sanctions Evaders (CSL import)",
            "deny",
            (_OFAC_CITE,),
            "A party is a Foreign Sanctions Evader: US persons may not engage in transactions with it, under the "
            "programs named in the entry.",
            "Imported from the CSL; the executive order behind the list is not cited here (not confirmed).",
        ),
        Source(
            "OFAC",
            "ofac-other",
            "OFAC non-SDN lists: SSI, NS-MBS, CAPTA, CMIC, PLC (CSL import)",
            "review",
            (_OFAC_CITE,),
            "A party is on an OFAC list that restricts particular transactions (debt or equity, correspondent "
            "accounts, securities, menu-based sanctions) rather than all dealings: check the program named in the "
            "entry before shipping.",
            "Imported from the CSL.",
        ),
        Source(
            "DTC",
            "dtc",
            "State Department ITAR debarred parties (CSL import)",
            "review",
            ({"cite": "22 CFR 127.7", "title": "Debarment (ITAR)"},),
            "A party is debarred under the Arms Export Control Act: it may not take part in exports of defence "
            "articles and services; confirm that the line is not ITAR-controlled.",
            "Imported from the CSL; the engine does not classify items on the US Munitions List.",
        ),
        Source(
            "ISN",
            "isn",
            "State Department nonproliferation sanctions (CSL import)",
            "review",
            ({"cite": "Consolidated Screening List: Nonproliferation Sanctions (ISN)", "url": CSL_URL},),
            "A party is under a State Department nonproliferation sanction: what it prohibits depends on the "
            "statute named in the entry; check it before shipping.",
            "Imported from the CSL.",
        ),
        Source(
            "OTHER",
            "other",
            "Other lists of the Consolidated Screening List (CSL import)",
            "review",
            ({"cite": "Consolidated Screening List", "url": CSL_URL},),
            "A party is on a list of the Consolidated Screening List that this importer does not know (the "
            "source is named in the listing): check what the listing means before shipping.",
            "Imported from the CSL: a source unknown to the importer is held for review, never ignored.",
        ),
    )
}
_OFAC_OTHER = {"SSI", "NS-MBS", "CAPTA", "CAP", "CMIC", "NS-CMIC", "PLC", "NS-PLC"}


@dataclass(frozen=True, slots=True)
class CslRecord:
    """One CSL record, as read (values stripped, several values split)."""

    where: Location
    source: str
    name: str
    alt_names: tuple[str, ...]
    countries: tuple[str, ...]
    unknown_countries: tuple[str, ...]
    start_date: dt.date | None
    end_date: dt.date | None
    federal_register_notice: str
    license_requirement: str
    license_policy: str
    programs: tuple[str, ...]
    remarks: str
    type: str
    url: str  # source_information_url, else source_list_url

    @property
    def code(self) -> str:
        """The source's abbreviation (`EL`, `SDN`, ...), or `OTHER`."""
        m = _CODE.search(self.source)
        code = m.group(1) if m else ""
        if code in _OFAC_OTHER:
            return "OFAC"
        return code if code in SOURCES else "OTHER"


def _split(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    parts = [str(v) for v in value if v is not None] if isinstance(value, list) else str(value).split(";")
    return tuple(dict.fromkeys(p.strip() for p in parts if p.strip()))


def _date(value: object, field_name: str, where: Location, problems: list[Problem]) -> dt.date | None:
    text = str(value or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        problems.append(Problem(where, "invalid-date", f"{field_name} {text!r} is not a date (YYYY-MM-DD)"))
        return None


def _countries(addresses: Iterable[object]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    known: list[str] = []
    unknown: list[str] = []
    for address in addresses:
        if isinstance(address, dict):
            country = str(address.get("country") or "").strip()
        else:
            country = str(address).rsplit(",", 1)[-1].strip()
        if not country:
            continue
        (known if country.upper() in COUNTRY_CODES else unknown).append(
            country.upper() if len(country) == 2 else country
        )
    return tuple(dict.fromkeys(known)), tuple(dict.fromkeys(unknown))


def _record(row: dict[str, object], where: Location, problems: list[Problem]) -> CslRecord | None:
    before = len(problems)
    name = _SUCCESSOR.sub("", str(row.get("name") or "").strip()).strip()
    source = str(row.get("source") or "").strip()
    if not name:
        problems.append(Problem(where, "missing-field", "record has no `name`"))
    if not source:
        problems.append(Problem(where, "missing-field", "record has no `source` (the list it is on)"))
    addresses = row.get("addresses")
    countries, unknown = _countries(addresses if isinstance(addresses, list) else _split(addresses))
    start = _date(row.get("start_date"), "start_date", where, problems)
    end = _date(row.get("end_date"), "end_date", where, problems)
    if start and end and end < start:
        problems.append(Problem(where, "inverted-window", f"end_date {end} is before start_date {start}"))
    if len(problems) > before:
        return None
    return CslRecord(
        where,
        source,
        name,
        tuple(_SUCCESSOR.sub("", a).strip() for a in _split(row.get("alt_names")) if _SUCCESSOR.sub("", a).strip()),
        countries,
        unknown,
        start,
        end,
        str(row.get("federal_register_notice") or "").strip(),
        str(row.get("license_requirement") or "").strip(),
        str(row.get("license_policy") or "").strip(),
        _split(row.get("programs")),
        str(row.get("remarks") or "").strip(),
        str(row.get("type") or "").strip(),
        str(row.get("source_information_url") or row.get("source_list_url") or "").strip(),
    )


def parse(text: str, name: str) -> tuple[list[CslRecord], list[Problem]]:
    """The records of a CSL file (JSON when it starts with `{` or `[`, else CSV), and every problem found."""
    problems: list[Problem] = []
    records: list[CslRecord] = []
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith(("{", "[")):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as exc:
            return [], [Problem(Location(name, exc.lineno, exc.colno), "json-syntax", f"JSON syntax error: {exc.msg}")]
        rows = data.get("results") if isinstance(data, dict) else data
        if not isinstance(rows, list):
            return [], [Problem(Location(name, 1, 1), "invalid-format", "expected `results`: a list of records")]
        for i, row in enumerate(rows, start=1):
            where = Location(f"{name} (record {i})")
            if not isinstance(row, dict):
                problems.append(Problem(where, "wrong-type", "a record is an object"))
                continue
            rec = _record(row, where, problems)
            if rec is not None:
                records.append(rec)
        return records, problems
    reader = csv.DictReader(io.StringIO(stripped, newline=""))
    if not reader.fieldnames or "name" not in reader.fieldnames or "source" not in reader.fieldnames:
        return [], [
            Problem(
                Location(name, 1, 1),
                "invalid-format",
                "not a CSL file: the first line must be the CSV header (with `source` and `name`)",
                help="download consolidated.csv or consolidated.json from the CSL page",
            )
        ]
    line = reader.line_num
    for row in reader:
        where = Location(name, line + 1, 1)
        line = reader.line_num
        if None in row:
            problems.append(Problem(where, "invalid-format", "row has more cells than the header"))
            continue
        rec = _record(dict(row), where, problems)
        if rec is not None:
            records.append(rec)
    return records, problems


# ------------------------------------------------------------------------------------------------ the pack


@dataclass
class ImportResult:
    """The files of the pack (relative path -> text) and what happened to each record."""

    files: dict[str, str] = field(default_factory=dict)
    imported: dict[str, int] = field(default_factory=dict)  # list id -> entries
    skipped: list[str] = field(default_factory=list)  # records already in the curated lists, and why

    def summary(self) -> str:
        total = sum(self.imported.values())
        lists = ", ".join(f"{k} {v}" for k, v in sorted(self.imported.items()))
        return f"imported {total} entr{'y' if total == 1 else 'ies'} ({lists}); {len(self.skipped)} already listed"


def _linked(cite: dict[str, str]) -> dict[str, str]:
    """A citation with the url its form gives, when it has none (eCFR, federalregister.gov)."""
    url = cite.get("url") or citation_url(cite["cite"])
    return {**cite, "url": url} if url else cite


def _citations(rec: CslRecord) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for m in _FR.finditer(rec.federal_register_notice):
        cite: dict[str, str] = {"cite": f"{int(m.group(1))} FR {int(m.group(2))}"}
        if m.group(5):
            with contextlib.suppress(ValueError):  # a malformed date is left out; the page cite stays
                cite["date"] = dt.date(int(m.group(5)), int(m.group(3)), int(m.group(4))).isoformat()
        cite["url"] = citation_url(cite["cite"]) or CSL_URL  # linked, as `compliance validate` asks
        if cite not in out:
            out.append(cite)
    url = rec.url or CSL_URL
    for program in rec.programs:
        out.append({"cite": f"OFAC sanctions program {program}", "url": url})
    if not out:
        out.append({"cite": f"Consolidated Screening List: {rec.source}", "url": url})
    return out


def _note(rec: CslRecord) -> str | None:
    parts = []
    if rec.license_requirement:
        parts.append(f"Licence requirement: {rec.license_requirement.rstrip('.')}.")
    if rec.license_policy:
        parts.append(f"Licence review policy: {rec.license_policy.rstrip('.')}.")
    if rec.programs:
        parts.append(f"Programs: {', '.join(rec.programs)}.")
    if rec.type:
        parts.append(f"Type: {rec.type}.")
    if rec.remarks:
        parts.append(f"Remarks: {rec.remarks.rstrip('.')}.")
    if rec.start_date is None:
        parts.append("The CSL gives no start date: treated as listed on every date.")
    if rec.unknown_countries:
        parts.append(f"Address countries not ISO codes: {', '.join(rec.unknown_countries)}.")
    if not rec.countries:
        parts.append("No address country: matched in any country.")
    parts.append(f"CSL source: {rec.source}.")
    return " ".join(parts)


_SEE = re.compile(r"\(see [^)]*\)")


def _all_items(requirement: str) -> bool:
    """The requirement is "for all items subject to the EAR", with nothing excepted (an empty one counts too:
    the rule then requires a licence for every line, failing closed)."""
    text = " ".join(_SEE.sub("", requirement.casefold()).replace(".", " ").split())
    return not text or text == "for all items subject to the ear"


def _entry(rec: CslRecord) -> dict[str, object]:
    entry: dict[str, object] = {"name": rec.name}
    aliases = [a for a in rec.alt_names if a.casefold() != rec.name.casefold()]
    if aliases:
        entry["aliases"] = aliases
    if rec.countries:
        entry["countries"] = list(rec.countries)
    entry["added"] = (rec.start_date or EARLIEST).isoformat()
    if rec.end_date is not None:
        entry["removed"] = rec.end_date.isoformat()
    entry["citations"] = _citations(rec)
    note = _note(rec)
    if note:
        entry["note"] = note
    return entry


def build_pack(
    records: Sequence[CslRecord],
    *,
    pack_id: str,
    list_date: dt.date,
    source_name: str,
    source_sha256: str,
    already_listed: Callable[[CslRecord], str | None],
    coverage_days: int = 31,
) -> ImportResult:
    """The pack's files. ``already_listed`` names the curated entry a record duplicates, or ``None``."""
    result = ImportResult()
    lists: dict[str, tuple[Source, list[dict[str, object]]]] = {}
    for rec in records:
        dup = already_listed(rec)
        if dup is not None:
            result.skipped.append(f"{rec.where}: {rec.name!r} ({rec.source}) is already listed as {dup}")
            continue
        source = SOURCES[rec.code]
        key = source.slug
        if source.code == "EL" and not _all_items(rec.license_requirement):
            key = "el-scoped"
        lists.setdefault(key, (source, []))[1].append(_entry(rec))
    earliest = min((dt.date.fromisoformat(str(e["added"])) for _s, es in lists.values() for e in es), default=list_date)
    list_ids: dict[str, list[str]] = {}
    for key, (source, entries) in sorted(lists.items()):
        for n, start in enumerate(range(0, len(entries), CHUNK)):
            list_id = f"{pack_id}-{key}" + (f"-{n + 1}" if n else "")
            list_ids.setdefault(key, []).append(list_id)
            chunk = entries[start : start + CHUNK]
            result.imported[list_id] = len(chunk)
            title = source.title + (" - entries whose licence requirement is narrower" if key == "el-scoped" else "")
            doc = {
                "kind": "party-list",
                "id": list_id,
                "pack": pack_id,
                "title": title + (f" (part {n + 1})" if n else ""),
                "citations": [_linked(c) for c in source.citations],
                "entries": chunk,
            }
            result.files[f"lists/{list_id}.json"] = json.dumps(doc, ensure_ascii=False, indent=0) + "\n"
    result.files["pack.yaml"] = _pack_yaml(
        pack_id, list_date, earliest, coverage_days, source_name, source_sha256, result
    )
    rules, cases = _rules(pack_id, list_ids, lists, earliest, list_date)
    result.files["rules.yaml"] = rules
    result.files["tests/cases.yaml"] = cases
    return result


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _pack_yaml(
    pack_id: str,
    list_date: dt.date,
    earliest: dt.date,
    coverage_days: int,
    source_name: str,
    source_sha256: str,
    result: ImportResult,
) -> str:
    coverage_to = list_date + dt.timedelta(days=coverage_days)
    return "\n".join(
        [
            "kind: pack",
            f"id: {pack_id}",
            f"title: {_q(f'Consolidated Screening List (trade.gov) as downloaded on {list_date}')}",
            "jurisdiction: US export controls and sanctions as listed in the CSL (EAR, 31 CFR chapter V, ITAR)",
            f"version: {_q(list_date.isoformat())}",
            f"reviewed: {list_date}",
            f"coverage_from: {earliest}",
            f"coverage_to: {coverage_to}",
            "note: "
            + _q(
                f"Generated by `compliance lists import csl` from {source_name} (sha256 {source_sha256}); "
                f"{result.summary()}. The CSL lists the parties listed on the day it was downloaded: a party "
                "removed before then is not in it, so decisions for earlier dates may miss a listing that has "
                f"ended. Re-import at least every {coverage_days} days; later dates are reviewed. Records already "
                "in the bundled curated lists were not imported again."
            ),
            "scope:",
            "  exporter_countries: [US]",
            "  origins: [US]",
            "  control_code_given: true",
            "sources:",
            f"  - {{cite: Consolidated Screening List, url: {CSL_URL}, date: {list_date}}}",
            "",
        ]
    )


def _rules(
    pack_id: str,
    list_ids: dict[str, list[str]],
    lists: dict[str, tuple[Source, list[dict[str, object]]]],
    earliest: dt.date,
    list_date: dt.date,
) -> tuple[str, str]:
    rules: list[str] = [f"kind: rules\npack: {pack_id}\nrules:"]
    cases: list[str] = ["kind: tests", f"pack: {pack_id}", "cases:"]
    every: list[str] = []
    for key, ids in sorted(list_ids.items()):
        source, entries = lists[key]
        every += ids
        effect = source.effect
        message = source.message
        if key == "el-scoped":
            effect = "review"
            message = (
                "A party on the Entity List whose entry requires a licence only for some items (the requirement is "
                "quoted in the listing): check whether the line's item is one of them before shipping."
            )
        rule_id = f"{pack_id}.{key}.listed"
        lines = [
            f"  - id: {rule_id}",
            f"    title: {_q(f'Party on the {source.title}')}",
            f"    effect: {effect}",
        ]
        if effect == "license_required":
            lines += [
                "    authority: US-BIS",
                "    review_policy: as stated in the party's entry (quoted in the listing)",
            ]
        lines += [
            "    when:",
            f"      party_lists: [{', '.join(ids)}]",
            f"      party_roles: [{', '.join(_ROLES)}]",
            f"    effective_from: {earliest}",
            f"    message: {_q(message)}",
            "    citations:",
            *(f"      - {json.dumps(_linked(c), ensure_ascii=False)}" for c in source.citations),
            f"    note: {_q(source.note)}",
        ]
        rules.append("\n".join(lines))
        sample = entries[0]
        outcome = "deny" if effect in ("deny", "license_required") else "review"
        cases.append(_case(f"{key}-listed", sample, list_date, "end_user", outcome, rule_id, pack_id))
    rule_id = f"{pack_id}.any.other-role"
    rules.append(
        "\n".join(
            [
                f"  - id: {rule_id}",
                "    title: Party on a screening list in another role (forwarder, other)",
                "    effect: review",
                "    when:",
                f"      party_lists: [{', '.join(every)}]",
                "      party_roles: [freight_forwarder, other]",
                f"    effective_from: {earliest}",
                "    message: "
                + _q(
                    "A party on one of the CSL's lists takes part in the order as freight forwarder or in another "
                    "role: the list's restrictions may still apply; review the transaction before shipping."
                ),
                "    citations:",
                f"      - {{cite: Consolidated Screening List, url: {CSL_URL}}}",
                '    note: "Fail closed: a listed party anywhere in the order is at least a review."',
            ]
        )
    )
    first = next(iter(lists.values()))[1][0]
    cases.append(_case("listed-forwarder", first, list_date, "freight_forwarder", "review", rule_id, pack_id))
    cases.append(_case("unlisted-party", {"name": "Example Unlisted Customer GmbH", "countries": ["DE"]}, list_date,
                       "end_user", "allow", None, pack_id))  # fmt: skip
    return "\n\n".join(rules) + "\n", "\n".join(cases) + "\n"


def _case(
    name: str, entry: dict[str, object], on: dt.date, role: str, outcome: str, rule_id: str | None, pack_id: str
) -> str:
    countries = entry.get("countries")
    country = countries[0] if isinstance(countries, list) and countries else "DE"
    added = dt.date.fromisoformat(str(entry.get("added", on.isoformat())))
    when = max(on, added)
    removed = entry.get("removed")
    if isinstance(removed, str) and dt.date.fromisoformat(removed) < when:
        when = dt.date.fromisoformat(removed)
    tx = {
        "id": f"CSL-{name}",
        "date": when.isoformat(),
        "exporter": {"name": "Example Exporter Inc.", "country": "US"},
        "destination": country,
        "parties": [{"role": role, "name": entry["name"], "country": country}],
        "items": [{"line": 1, "eccn": "EAR99", "quantity": 1}],
    }
    expect: dict[str, object] = {"decision": outcome}
    if rule_id:
        expect["rules"] = [rule_id]
    else:
        expect["not_rules"] = [f"{pack_id}.any.other-role"]
    note = f"{entry['name']} as {role} -> {outcome}" + (f" ({rule_id})" if rule_id else "")
    case = {"name": name, "note": note, "transaction": tx, "expect": expect}
    return "  - " + json.dumps(case, ensure_ascii=False)
