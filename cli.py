"""The `compliance` command: arguments -> library -> report -> exit code. No rule logic lives here.

Exit codes (worst wins over several files: error, deny, review, allow):
  0 allow / clean, 1 deny, 3 review, 2 bad input or usage, 4 rule-pack error.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import sys
from importlib import metadata
from pathlib import Path

import click

from compliance import Engine, __version__
from compliance.audit.keys import ENV_KEY, ENV_KEY_FILE, load_key
from compliance.audit.receipts import AuditLog, RunInfo
from compliance.audit.replay import replay
from compliance.audit.verify import verify_log
from compliance.authoring import cases, lint, schema
from compliance.authoring import diff as packdiff
from compliance.authoring.github import github_annotations
from compliance.authoring.junit import junit_cases, junit_problems
from compliance.authoring.sarif import sarif_json
from compliance.errors import ComplianceError, ExitCode, Problem
from compliance.evaluate.match import BACKENDS, durable_unavailable
from compliance.intake import load_transaction
from compliance.io.batch import write_batch
from compliance.io.clearances import add_clearance, clearance_rows, load_clearances, read_clearances, withdraw_clearance
from compliance.io.explain_text import render_explanation
from compliance.io.html import case_entries, render_case_file
from compliance.io.licenses import hold_option, licenses
from compliance.io.lists import import_csl
from compliance.io.pipeline import check_items, check_items_parallel, close_ledgers
from compliance.io.readers import csv_options, read_items
from compliance.io.render import packs_listing, render_packs
from compliance.io.writers import Format, Progress, Tally, dumps
from compliance.ledger.determine import LedgerOptions
from compliance.ledger.store import Ledger
from compliance.packs.bundled import bundled_rules_dir, is_bundled, same_files
from compliance.packs.load import load_packs
from compliance.packs.packset import PackSet

EXIT_HELP = (
    "Exit codes: 0 allow / clean, 1 deny, 3 review, 2 bad input or usage, 4 rule-pack error (validate: a problem; "
    "test: a failing case); over several files the worst wins (error, deny, review, allow)."
)


# -h as well as --help, on the group and (inherited) on every command.
CONTEXT = {"help_option_names": ["-h", "--help"]}
QUIET = "compliance.quiet"


def default_rules() -> list[str]:
    """The packs that ship with this installation. A ./rules folder is never picked up by itself: that would change
    decisions silently, so packs other than the bundled ones are used only when named with --rules."""
    bundled = bundled_rules_dir()
    local = Path("rules")
    if local.is_dir() and not is_bundled(local) and not same_files(local, bundled):
        _note("./rules is not used: the bundled packs are (name it with --rules rules to use it)")
    return [_shown(bundled)]


def _shown(path: Path) -> str:
    """A path as the user would type it: relative when under the current directory, else absolute."""
    relative = os.path.relpath(path)
    return str(path) if relative.startswith("..") else relative


def _quiet() -> bool:
    ctx = click.get_current_context(silent=True)
    return bool(ctx is not None and ctx.meta.get(QUIET))


def _note(message: str) -> None:
    """Information, not a result: on stderr, and not at all with --quiet."""
    if not _quiet():
        click.echo(f"note: {message}", err=True)


def _colour(stream: object) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    isatty = getattr(stream, "isatty", None)
    return not os.environ.get("NO_COLOR") and callable(isatty) and bool(isatty())


def _problem_line(problem: Problem) -> str:
    text = problem.render()
    if _colour(sys.stderr):
        colour = "red" if problem.level == "error" else "yellow"
        word = f" {problem.level} "
        text = text.replace(word, " " + click.style(problem.level, fg=colour, bold=True) + " ", 1)
    return text


def _set_quiet(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    if value:
        ctx.meta[QUIET] = True
    return value


quiet_option = click.option(
    "--quiet", is_flag=True, expose_value=False, callback=_set_quiet, help="No notes, progress or summaries on stderr."
)


def _version_text() -> str:
    reason = durable_unavailable()
    if reason is None:
        core = f"durable-rules {metadata.version('durable-rules')}"
    else:
        core = f"reference matcher (durable-rules cannot be loaded: {reason})"
    roots = default_rules()
    packset = load_packs(roots)
    lines = [
        f"compliance {__version__} (Python {platform.python_version()})",
        f"matching core: {core}",
        f"rule packs: bundled, {roots[0]}",
    ]
    lines += [
        f"  {p.meta.id} {p.meta.version} (reviewed {p.meta.reviewed}, sha256 {p.sha256[:12]})" for p in packset.packs
    ]
    return "\n".join(lines)


def _print_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    try:
        click.echo(_version_text())
    except ComplianceError as err:
        for problem in err.problems:
            click.echo(_problem_line(problem), err=True)
        click.echo(f"compliance {__version__}: error: {err.summary()}", err=True)
        ctx.exit(err.exit_code)
    ctx.exit(0)


def _iso_date(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO date (YYYY-MM-DD)") from None


rules_option = click.option(
    "--rules",
    "rules",
    multiple=True,
    type=click.Path(),
    metavar="DIR",
    help="Rule pack directory (repeatable). Default: the packs bundled with this installation (never ./rules).",
)
backend_option = click.option(
    "--backend",
    type=click.Choice(BACKENDS),
    default="durable",
    show_default=True,
    help="Matching core; `reference` is the plain-Python oracle.",
)


class _Group(click.Group):
    """The one error path: a library error prints its located problems and exits with its code; anything
    unexpected is one line on stderr (a traceback with --debug), never a silent success."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort, SystemExit):
            raise
        except ComplianceError as err:
            for problem in err.problems:
                click.echo(_problem_line(problem), err=True)
            click.echo(f"error: {err.summary()}", err=True)
            sys.exit(err.exit_code)
        except BrokenPipeError:
            _quiet_broken_pipe()
        except Exception as exc:  # the CLI boundary: report, do not swallow
            if ctx.params.get("debug"):
                raise
            click.echo(f"error: internal error: {type(exc).__name__}: {exc} (rerun with --debug for details)", err=True)
            sys.exit(ExitCode.INPUT_ERROR)
        return None


def _quiet_broken_pipe() -> None:
    # `compliance check ... | head`: the reader has gone; stop quietly, as other Unix tools do, with the
    # status a shell gives a command ended by SIGPIPE (128 + 13), never 0: not every record was reported.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    sys.exit(ExitCode.OUTPUT_CLOSED)


@click.group(cls=_Group, epilog=EXIT_HELP, context_settings=CONTEXT)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the engine, matching core and bundled pack versions, and exit.",
)
@click.option("--debug", is_flag=True, help="Show tracebacks for internal errors.")
@quiet_option
def main(debug: bool) -> None:
    """Check proposed exports against export-control rule packs, with the law cited.

    Shell completion (bash, zsh, fish; see the README): `eval "$(_COMPLIANCE_COMPLETE=bash_source compliance)"`.
    """


@main.command(epilog=EXIT_HELP)
@click.argument("files", nargs=-1, required=True, type=click.Path())
@rules_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "jsonl", "csv", "html"]),
    default="text",
    show_default=True,
    help="text for people; json: one decision (an array for several); jsonl: one per line; csv: a summary; "
    "html: a printable case file of every decision (self-contained).",
)
@click.option(
    "--as-of",
    callback=_iso_date,
    metavar="DATE",
    help="Evaluate as of this date instead of each transaction's own date.",
)
@backend_option
@click.option(
    "--input-format",
    type=click.Choice(["auto", "yaml", "json", "jsonl", "csv"]),
    default="auto",
    show_default=True,
    help="How to read FILES (auto: by extension; `-` is sniffed: YAML, JSON, JSON Lines or CSV).",
)
@click.option(
    "--csv-map",
    type=click.Path(exists=True, dir_okay=False),
    help='YAML mapping of field -> CSV column header (or {column: ..., format: "DD.MM.YYYY", decimal: ","}).',
)
@click.option("--delimiter", metavar="CHAR", help="CSV delimiter (default: detected from the header: , ; tab |).")
@click.option("--date-format", metavar="FORMAT", help="CSV dates, e.g. YYYYMMDD or DD.MM.YYYY (default: YYYY-MM-DD).")
@click.option(
    "--fail-on",
    type=click.Choice(["deny", "review"]),
    default="review",
    show_default=True,
    help="`deny`: reviews exit 0; `review`: reviews exit 3.",
)
@click.option(
    "--jobs",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Worker processes (output stays in input order).",
)
@click.option(
    "--audit-log",
    type=click.Path(dir_okay=False),
    help="Append a receipt per record to this file and seal the run (a crashed run is resumed by a rerun).",
)
@click.option(
    "--audit-key-file",
    type=click.Path(exists=True, dir_okay=False),
    help=f"HMAC key for the receipts (else ${ENV_KEY_FILE} or ${ENV_KEY}); never written to the log.",
)
@click.option("--quiet", is_flag=True, callback=_set_quiet, help="No progress line and no summary on stderr.")
@click.option(
    "--clearances",
    "clearances_file",
    type=click.Path(exists=True, dir_okay=False),
    help="YAML file of cleared possible party-list matches (`compliance clearances add`).",
)
@click.option(
    "--explain",
    is_flag=True,
    help="Per line, every rule in scope: the first condition that failed, or that it fired and the licences tried "
    "(text or json; traced with the reference matcher). YAML/JSON transaction files only.",
)
@click.option(
    "--db",
    metavar="URL",
    help="Also consider the licences of this licence ledger (a SQLite path or postgresql://...; see "
    "`compliance licenses`).",
)
@click.option(
    "--reserve",
    is_flag=True,
    help="With --db: reserve each allowed line's quantity and value on the ledger licence that covers it.",
)
@hold_option
def check(
    files: tuple[str, ...],
    rules: tuple[str, ...],
    fmt: Format,
    as_of: dt.date | None,
    backend: str,
    input_format: str,
    csv_map: str | None,
    delimiter: str | None,
    date_format: str | None,
    fail_on: str,
    jobs: int,
    audit_log: str | None,
    audit_key_file: str | None,
    quiet: bool,
    clearances_file: str | None,
    explain: bool,
    db: str | None,
    reserve: bool,
    hold: int,
) -> None:
    """Decide allow / deny / review for each transaction in FILES.

    FILES are YAML or JSON transaction files, directories of them, JSON Lines (one transaction per line), CSV (one
    row per order line, see docs/erp.md), or `-` for standard input. Every record gives exactly one output.
    """
    if audit_key_file and not audit_log:
        raise click.UsageError("--audit-key-file needs --audit-log")
    if reserve and not db:
        raise click.UsageError("--reserve needs --db")
    ledger = LedgerOptions(db, reserve, dt.timedelta(seconds=hold)) if db else None
    if db:
        # Opened (and migrated) once before any record: a ledger that cannot be used, or a mistyped path (a check
        # never creates a ledger: `licenses add` does), stops the run here.
        Ledger(db, create=False).close()
    mapping = csv_options(csv_map, delimiter=delimiter, date_format=date_format)
    packset = load_packs(rules or tuple(default_rules()))
    book = load_clearances(clearances_file) if clearances_file else None
    if explain:
        if fmt not in ("text", "json") or audit_log or jobs != 1 or db:
            raise click.UsageError(
                "--explain prints text or json, for one process, without --audit-log and without --db"
            )
        sys.exit(_explain(files, Engine(packset, backend=backend, clearances=book), as_of, fmt, fail_on))
    engine = Engine(packset, backend=backend, clearances=book) if jobs == 1 else None
    log = _open_audit_log(audit_log, audit_key_file, files, as_of, backend, packset, quiet) if audit_log else None
    stdin = sys.stdin.buffer if "-" in files else None
    # With workers, records are parsed and validated there (in parallel); the parent only reads.
    items = read_items(files, fmt=input_format, csv_map=mapping, stdin=stdin, validate=False)  # type: ignore[arg-type]
    audit, debug = log is not None, bool(click.get_current_context().find_root().params.get("debug"))
    if engine is None:
        results = check_items_parallel(
            packset,
            items,
            jobs=jobs,
            fmt=fmt,
            backend=backend,
            as_of=as_of,
            audit=audit,
            debug=debug,
            clearances=book,
            ledger=ledger,
        )
    else:
        results = check_items(engine, items, fmt=fmt, as_of=as_of, audit=audit, debug=debug, ledger=ledger)
    progress = Progress(sys.stderr) if sys.stderr.isatty() and not quiet else None
    try:
        batch = write_batch(results, fmt=fmt, out=sys.stdout, report=_report, log=log, progress=progress)
    finally:
        close_ledgers()
    tally = batch.tally
    if fmt == "json":
        single = len(batch.collected) == 1 and len(files) == 1 and tally.counts["error"] == 0
        click.echo(dumps(batch.collected[0] if single else batch.collected, indent=True))
    if fmt == "html":
        sealed = (
            f"audit: run sealed in {audit_log} ({tally.total} record(s)); head {batch.head}" if batch.head else None
        )
        click.echo(render_case_file(case_entries(batch.collected), audit=sealed), nl=False)
    if not quiet and tally.total > 1:
        click.echo(tally.summary(), err=True)
    if batch.head and not quiet:
        click.echo(f"audit: run sealed in {audit_log} ({tally.total} record(s)); head {batch.head}", err=True)
    sys.exit(_exit_for(tally, fail_on))


def _explain(files: tuple[str, ...], engine: Engine, as_of: dt.date | None, fmt: str, fail_on: str) -> int:
    """`check --explain`: each file is one YAML or JSON transaction; the worst outcome sets the exit code."""
    tally = Tally()
    out: list[object] = []
    for name in files:
        ex = engine.explain(load_transaction(name), as_of=as_of)
        tally.add(ex.decision.decision)
        if fmt == "json":
            out.append(ex.model_dump(mode="json"))
        else:
            click.echo(render_explanation(ex, name))
    if fmt == "json":
        click.echo(dumps(out[0] if len(out) == 1 else out, indent=True))
    return _exit_for(tally, fail_on)


def _report(problem: Problem) -> None:
    click.echo(_problem_line(problem), err=True)


def _open_audit_log(
    path: str,
    key_file: str | None,
    files: tuple[str, ...],
    as_of: dt.date | None,
    backend: str,
    packset: PackSet,
    quiet: bool,
) -> AuditLog:
    packs = tuple({"id": p.meta.id, "version": p.meta.version, "sha256": p.sha256} for p in packset.packs)
    run = RunInfo(files, as_of.isoformat() if as_of else None, backend, packs, __version__)
    log = AuditLog(path, run, key=load_key(key_file))
    if log.resumed and not quiet:
        click.echo(f"audit: resuming the unsealed run in {path} after {log.resumed} record(s)", err=True)
    return log


def _exit_for(tally: Tally, fail_on: str) -> int:
    counts = tally.counts
    if counts["error"]:
        return ExitCode.INPUT_ERROR
    if counts["deny"]:
        return ExitCode.DENY
    if counts["review"] and fail_on == "review":
        return ExitCode.REVIEW
    return ExitCode.ALLOW


@main.group()
@quiet_option
def audit() -> None:
    """Verify and replay audit logs written by `check --audit-log`."""


key_file_option = click.option(
    "--key-file",
    type=click.Path(exists=True, dir_okay=False),
    help=f"HMAC key of the log (else ${ENV_KEY_FILE} or ${ENV_KEY}); without one, MACs are not checked.",
)


@audit.command("verify")
@click.argument("log_file", type=click.Path(exists=True, dir_okay=False))
@quiet_option
@key_file_option
@click.option(
    "--anchor",
    "anchors",
    multiple=True,
    metavar="HASH",
    help="A head hash kept outside the host (a seal's hash); it must be in the log (repeatable).",
)
def audit_verify(log_file: str, key_file: str | None, anchors: tuple[str, ...]) -> None:
    """Check LOG_FILE: hashes, chain, seals, and MACs with the key. Exit 0 intact, 1 broken or unsealed.

    The first problem is named (`audit-chain`: edited, removed or reordered; `audit-unsealed`: a run without its
    seal, as a crash or a cut end leaves it; `audit-mac`: forged, or another key; `audit-anchor`: an anchored head
    is missing). What is and is not detected, with and without a key: docs/erp.md.
    """
    report = verify_log(log_file, key=load_key(key_file), anchors=anchors)
    for note in report.interrupted:
        click.echo(f"{log_file}: warning {note}", err=True)
    broken = report.broken
    if broken is not None:
        click.echo(f"{log_file}:{broken.line}:1: error {broken.code} receipt {broken.line}: {broken.reason}", err=True)
        sys.exit(1)
    click.echo(report.summary())


@audit.command("close")
@click.argument("log_file", type=click.Path(exists=True, dir_okay=False))
@key_file_option
@quiet_option
def audit_close(log_file: str, key_file: str | None) -> None:
    """Seal the unsealed run a crash left at the end of LOG_FILE, marked interrupted, so a new run can start.

    Use it when the crashed run cannot be resumed (its input is gone or changed). Exit 0 sealed, 2 nothing to close.
    """
    records, head = AuditLog.close_run(log_file, key=load_key(key_file))
    click.echo(f"closed: the interrupted run had {records} record(s); head {head}")


@audit.command("replay")
@click.argument("log_file", type=click.Path(exists=True, dir_okay=False))
@rules_option
@backend_option
@quiet_option
@click.option(
    "--clearances",
    "clearances_file",
    type=click.Path(exists=True, dir_okay=False),
    help="The clearances file the decisions were made with (receipts name the clearances they used).",
)
def audit_replay(log_file: str, rules: tuple[str, ...], backend: str, clearances_file: str | None) -> None:
    """Re-evaluate every receipt's input on the given packs; report decisions that differ. Exit 0 same, 1 differ."""
    book = load_clearances(clearances_file) if clearances_file else None
    engine = Engine(load_packs(rules or default_rules()), backend=backend, clearances=book)
    report = replay(engine, log_file)
    for line in report.lines():
        click.echo(line)
    sys.exit(1 if report.changed else 0)


@main.group()
@quiet_option
def lists() -> None:
    """Screening lists published by governments, imported into party-list packs."""


@lists.group("import")
@quiet_option
def lists_import() -> None:
    """Import a downloaded list file (no network: download it first)."""


@lists_import.command("csl")
@quiet_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="Pack folder to write.")
@rules_option
@click.option("--pack-id", default="csl", show_default=True, help="Id of the generated pack.")
@click.option(
    "--list-date",
    callback=_iso_date,
    metavar="DATE",
    help="Day the file was downloaded (default: the file's modification date).",
)
def lists_import_csl(file: str, out: str, rules: tuple[str, ...], pack_id: str, list_date: dt.date | None) -> None:
    """Convert the trade.gov Consolidated Screening List (consolidated.csv or .json) into a pack at --out.

    One party list per source, each with a rule stating its effect; entries already in the packs under --rules
    are not imported twice. Load it beside the bundled packs: `compliance check --rules rules --rules OUT ...`.
    Exit 0 imported, 2 bad input (nothing written), 4 pack error.
    """
    day = list_date or dt.datetime.fromtimestamp(os.path.getmtime(file), dt.UTC).date()
    result = import_csl(file, out, rules=rules or default_rules(), pack_id=pack_id, list_date=day)
    for line in result.skipped:
        click.echo(f"skipped: {line}", err=True)
    click.echo(f"{out}: {result.summary()}")


@main.group()
@quiet_option
def clearances() -> None:
    """Cleared possible party-list matches: a party an officer has found not to be a listed entry."""


clearances_file_option = click.option(
    "--file", "file", required=True, type=click.Path(dir_okay=False), help="The clearances YAML file."
)


@clearances.command("add")
@quiet_option
@clearances_file_option
@rules_option
@click.option("--party", required=True, help="Party name as on orders.")
@click.option("--country", required=True, help="Party's country (ISO 3166-1 alpha-2).")
@click.option("--list", "list_id", required=True, help="Party list id (the finding's `match.list`).")
@click.option("--entry", required=True, help="Listed entry name (the finding's `match.entry`).")
@click.option("--reason", required=True, help="What was checked, and why the party is not the entry.")
@click.option("--by", "cleared_by", required=True, help="Name of the officer clearing it.")
@click.option("--expires", required=True, callback=_iso_date, metavar="DATE", help="Last day it applies.")
@click.option("--date", "day", callback=_iso_date, metavar="DATE", help="Day it applies from (default: today).")
@click.option("--id", "clearance_id", help="Clearance id (default: the next CLR-NNNN).")
@click.option("--note", help="Anything else to record.")
def clearances_add(
    file: str,
    rules: tuple[str, ...],
    party: str,
    country: str,
    list_id: str,
    entry: str,
    reason: str,
    cleared_by: str,
    expires: dt.date,
    day: dt.date | None,
    clearance_id: str | None,
    note: str | None,
) -> None:
    """Clear one possible match (party, country, list entry); an exact match cannot be cleared."""
    clearance = add_clearance(
        file,
        load_packs(rules or default_rules()),
        party=party,
        country=country,
        list_id=list_id,
        entry=entry,
        reason=reason,
        cleared_by=cleared_by,
        date=day or dt.date.today(),
        expires=expires,
        note=note,
        clearance_id=clearance_id,
    )
    click.echo(f"{file}: added {clearance.id} ({party!r} is not {entry!r} on {list_id}) until {clearance.expires}")


@clearances.command("list")
@quiet_option
@clearances_file_option
@rules_option
@click.option("--as-of", callback=_iso_date, metavar="DATE", help="Status on this day (default: today).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def clearances_list(file: str, rules: tuple[str, ...], as_of: dt.date | None, fmt: str) -> None:
    """Every clearance with its status against the loaded lists (active, expired, reopened, ...)."""
    rows = clearance_rows(read_clearances(file), load_packs(rules or default_rules()), as_of or dt.date.today())
    if fmt == "json":
        click.echo(json.dumps([r.to_dict() for r in rows], indent=2, ensure_ascii=False))
        return
    for r in rows:
        c = r.clearance
        click.echo(f"{c.id}  {r.status:<12}  {c.party!r} ({c.country}) is not {c.entry!r} on {c.list}; "
                   f"{c.cleared_by}, {c.date} to {c.expires}: {c.reason}")  # fmt: skip


@clearances.command("expire")
@quiet_option
@clearances_file_option
@click.argument("clearance_id")
@click.option("--on", "day", callback=_iso_date, metavar="DATE", help="Day it stops applying (default: today).")
def clearances_expire(file: str, clearance_id: str, day: dt.date | None) -> None:
    """Withdraw a clearance from a day on; it stays in the file with that day."""
    clearance = withdraw_clearance(file, clearance_id, day or dt.date.today())
    click.echo(f"{file}: {clearance.id} withdrawn from {clearance.withdrawn}")


main.add_command(licenses)


@main.command(epilog=EXIT_HELP)
@rules_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@quiet_option
def packs(rules: tuple[str, ...], fmt: str) -> None:
    """List the rule packs in use (bundled, or those given with --rules) with versions and content hashes."""
    roots = list(rules) or default_rules()
    packset = load_packs(roots)
    if fmt == "json":
        click.echo(json.dumps({**packs_listing(packset), "origin": _origin(roots)}, indent=2))
    else:
        origin = "bundled" if not rules else "--rules"
        click.echo(f"rule packs ({origin}): {', '.join(roots)}")
        click.echo(render_packs(packset))


def _origin(roots: list[str]) -> dict[str, object]:
    """Where the packs in use come from: the bundled ones, or the directories given with --rules."""
    return {"bundled": all(is_bundled(r) for r in roots), "roots": roots}


@main.command(epilog=EXIT_HELP)
@click.argument("paths", nargs=-1, type=click.Path(), metavar="[DIR|FILE]...")
@click.option("--strict", is_flag=True, help="Warnings fail too (exit 4), as CI should run it.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "sarif", "junit", "github"]),
    default="text",
    show_default=True,
    help="github: workflow-command annotations on stdout, for GitHub Actions.",
)
@quiet_option
def validate(paths: tuple[str, ...], strict: bool, fmt: str) -> None:
    """Check rule packs and their test cases; report every problem as file:line:col: level code message.

    Problems go to stderr; stdout gets the summary (text) or the report (json, sarif, junit, github).
    Exit 0 when clean, 4 when there are errors (or warnings, with --strict).
    """
    report = lint.validate(list(paths) or default_rules())
    for problem in report.problems:
        click.echo(_problem_line(problem), err=True)
    if fmt == "github":
        click.echo(github_annotations(report.problems, strict=strict), nl=False)
    elif fmt == "json":
        click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    elif fmt == "sarif":
        click.echo(sarif_json(report.problems, version=__version__))
    elif fmt == "junit":
        click.echo(junit_problems(report.problems, report.files, strict=strict), nl=False)
    else:
        code = report.exit_code(strict=strict)
        if not (_quiet() and code == ExitCode.ALLOW):
            click.echo(f"{'ok' if code == ExitCode.ALLOW else 'failed'}: {report.summary()}")
    sys.exit(report.exit_code(strict=strict))


@main.command("test", epilog=EXIT_HELP)
@click.argument("dirs", nargs=-1, type=click.Path(), metavar="[DIR]...")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "junit"]), default="text", show_default=True)
@click.option(
    "--backend",
    type=click.Choice([*BACKENDS, "both"]),
    default="both",
    show_default=True,
    help="Run every case on this matcher, or on both (they must agree).",
)
@click.option(
    "--min-coverage",
    type=click.FloatRange(0, 100),
    metavar="PCT",
    help="Fail (exit 4) when fewer than PCT percent of the rules fire in some case.",
)
@quiet_option
def test_cmd(dirs: tuple[str, ...], fmt: str, backend: str, min_coverage: float | None) -> None:
    """Run the test cases beside the rules (tests/*.yaml): PASS, FAIL, ERROR or SKIPPED per case and backend.

    Prints a diff of expected (-) against actual (+) under each failure, and the rules no case made fire.
    Exit 0 when every case passes, 4 on a failure, an error or coverage below --min-coverage.
    """
    run = cases.run_suite(list(dirs) or default_rules(), BACKENDS if backend == "both" else (backend,))
    if fmt == "json":
        click.echo(json.dumps(cases.to_dict(run), indent=2, ensure_ascii=False))
    elif fmt == "junit":
        click.echo(junit_cases(cases.to_junit(run), name="compliance test"), nl=False)
    else:
        click.echo(cases.render_text(run))
    low = min_coverage is not None and run.coverage < min_coverage
    if low:
        click.echo(f"error: rule coverage {run.coverage:.1f}% is below --min-coverage {min_coverage:g}%", err=True)
    sys.exit(ExitCode.ALLOW if run.ok and not low else ExitCode.PACK_ERROR)


@main.command("schema", epilog=EXIT_HELP)
@click.argument("name", type=click.Choice(schema.SCHEMA_NAMES), default="pack")
@quiet_option
def schema_cmd(name: schema.SchemaName) -> None:
    """Print the JSON Schema of a file format (pack, transaction, decision, tests) for editors and CI.

    In a YAML file: `# yaml-language-server: $schema=<path or URL of the saved schema>`; see docs/ci.md.
    """
    click.echo(schema.schema_json(name), nl=False)


@main.command(epilog=EXIT_HELP)
@rules_option
@backend_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback by default).")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True, help="0: any free port.")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True, help="Worker processes.")
@click.option(
    "--token-file",
    type=click.Path(dir_okay=False),
    help="Require `Authorization: Bearer <token>` (the file's one line) on every endpoint but /healthz.",
)
@click.option("--audit-log", type=click.Path(dir_okay=False), help="Append a hash-chained receipt per decision.")
@click.option(
    "--max-body-bytes", type=click.IntRange(1), default=1 << 20, show_default=True, help="/v1/check body limit."
)
@click.option(
    "--max-batch-bytes", type=click.IntRange(1), default=64 << 20, show_default=True, help="Batch body limit."
)
@click.option(
    "--max-batch-records", type=click.IntRange(1), default=100_000, show_default=True, help="Records per batch."
)
@click.option("--timeout", type=click.FloatRange(0.001), default=10.0, show_default=True, help="Seconds per check.")
@click.option(
    "--batch-timeout", type=click.FloatRange(0.001), default=300.0, show_default=True, help="Seconds per batch."
)
@click.option("--no-access-log", is_flag=True, help="No JSON access-log line per request on stderr.")
@click.option("--quiet", is_flag=True, callback=_set_quiet, help="No start and stop lines on stderr.")
@click.option(
    "--clearances",
    "clearances_file",
    type=click.Path(exists=True, dir_okay=False),
    help="YAML file of cleared possible party-list matches; read again on every reload.",
)
@click.option(
    "--db",
    metavar="URL",
    help="A licence ledger (SQLite path or postgresql://...): /v1/licenses, and its licences in every check.",
)
@hold_option
def serve(
    rules: tuple[str, ...],
    backend: str,
    host: str,
    port: int,
    workers: int,
    token_file: str | None,
    audit_log: str | None,
    max_body_bytes: int,
    max_batch_bytes: int,
    max_batch_records: int,
    timeout: float,
    batch_timeout: float,
    no_access_log: bool,
    quiet: bool,
    clearances_file: str | None,
    db: str | None,
    hold: int,
) -> None:
    """Serve decisions over HTTP for ERP systems: POST /v1/check, POST /v1/check/batch, GET /v1/packs, ...

    Needs the `server` extra (`pip install 'compliance-engine[server]'`). SIGHUP or POST /v1/reload reloads the
    packs (a pack error keeps the old ones), SIGUSR1 rotates the audit log, SIGTERM stops and seals it.
    See docs/service.md.
    """
    try:
        from compliance.server import AppConfig, ServeOptions, read_token
        from compliance.server import serve as run_server
    except ImportError as exc:
        click.echo(
            f"error: `compliance serve` needs the server extra ({exc.name} is missing): "
            "pip install 'compliance-engine[server]'",
            err=True,
        )
        sys.exit(ExitCode.INPUT_ERROR)
    roots = list(rules) or default_rules()
    limits = AppConfig(
        token=read_token(token_file) if token_file else None,
        max_body_bytes=max_body_bytes,
        max_batch_bytes=max_batch_bytes,
        max_batch_records=max_batch_records,
        timeout=timeout,
        batch_timeout=batch_timeout,
        ledger=db,
        hold_seconds=hold,
    )
    options = ServeOptions(
        roots=tuple(roots),
        origin=_origin(roots),
        host=host,
        port=port,
        backend=backend,
        workers=workers,
        app=limits,
        audit_log=audit_log,
        access_log=not no_access_log,
        quiet=quiet,
        clearances=clearances_file,
    )
    try:
        status = run_server(options)
    except (OSError, ValueError) as exc:  # the port is taken, the audit log is unwritable or not a receipt chain
        click.echo(f"error: cannot start the service: {exc}", err=True)
        sys.exit(ExitCode.INPUT_ERROR)
    sys.exit(status)


@main.command("diff", epilog=EXIT_HELP)
@click.argument("old_dir", type=click.Path())
@click.argument("new_dir", type=click.Path())
@click.option(
    "--corpus",
    required=True,
    type=click.Path(exists=True),
    metavar="DIR",
    help="Directory of transaction files (YAML or JSON) to evaluate under both versions.",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--as-of", callback=_iso_date, metavar="DATE", help="Evaluate every transaction as of this date.")
@click.option("--backend", type=click.Choice(BACKENDS), default="reference", show_default=True)
@click.option("--fail-on-change", is_flag=True, help="Exit 3 (review) when any transaction changed.")
@quiet_option
def diff_cmd(
    old_dir: str, new_dir: str, corpus: str, fmt: str, as_of: dt.date | None, backend: str, fail_on_change: bool
) -> None:
    """Report every corpus transaction whose decision or findings differ between OLD_DIR and NEW_DIR packs.

    Grouped by rule: the impact of a pack change before it is merged. Exit 0 (changes are the result),
    3 with --fail-on-change when something changed, 2 when a corpus file is bad, 4 when a pack is.
    """
    report = packdiff.diff_corpus([old_dir], [new_dir], corpus, as_of=as_of, backend=backend)
    for problem in report.problems:
        click.echo(problem.render(), err=True)
    if fmt == "json":
        click.echo(json.dumps(packdiff.to_dict(report), indent=2, ensure_ascii=False))
    else:
        click.echo(packdiff.render_text(report))
    codes = [ExitCode.INPUT_ERROR] if report.problems else []
    codes += [ExitCode.REVIEW] if fail_on_change and report.changes else []
    sys.exit(ExitCode.worst(codes))


if __name__ == "__main__":
    main()
