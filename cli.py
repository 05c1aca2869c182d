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
from compliance.audit.receipts import AuditLog, verify_chain
from compliance.audit.replay import replay
from compliance.authoring import cases, lint, schema
from compliance.authoring import diff as packdiff
from compliance.authoring.github import github_annotations
from compliance.authoring.junit import junit_cases, junit_problems
from compliance.authoring.sarif import sarif_json
from compliance.errors import ComplianceError, ExitCode, Problem
from compliance.evaluate.match import BACKENDS, durable_unavailable
from compliance.io.pipeline import check_items, check_items_parallel
from compliance.io.readers import load_csv_map, read_items
from compliance.io.render import packs_listing, render_packs
from compliance.io.writers import CSV_SUMMARY_COLUMNS, Format, Progress, Tally, dumps
from compliance.packs.bundled import bundled_rules_dir, is_bundled, same_files
from compliance.packs.load import load_packs

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
    type=click.Choice(["text", "json", "jsonl", "csv"]),
    default="text",
    show_default=True,
    help="text for people; json: one decision (an array for several); jsonl: one per line; csv: a summary.",
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
    help="How to read FILES (auto: by extension; `-` defaults to jsonl).",
)
@click.option(
    "--csv-map", type=click.Path(exists=True, dir_okay=False), help="YAML mapping of field -> CSV column header."
)
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
    "--audit-log", type=click.Path(dir_okay=False), help="Append a hash-chained receipt per decision to this file."
)
@click.option("--quiet", is_flag=True, callback=_set_quiet, help="No progress line and no summary on stderr.")
def check(
    files: tuple[str, ...],
    rules: tuple[str, ...],
    fmt: Format,
    as_of: dt.date | None,
    backend: str,
    input_format: str,
    csv_map: str | None,
    fail_on: str,
    jobs: int,
    audit_log: str | None,
    quiet: bool,
) -> None:
    """Decide allow / deny / review for each transaction in FILES.

    FILES are YAML or JSON transaction files, directories of them, JSON Lines (one transaction per line), CSV (one
    row per order line, see docs/erp.md), or `-` for standard input. Every record gives exactly one output.
    """
    roots = rules or tuple(default_rules())
    mapping = load_csv_map(csv_map) if csv_map else None
    packset = load_packs(roots)
    stdin = sys.stdin.buffer if "-" in files else None
    # With workers, records are parsed and validated there (in parallel); the parent only reads.
    items = read_items(files, fmt=input_format, csv_map=mapping, stdin=stdin, validate=False)  # type: ignore[arg-type]
    audit = audit_log is not None
    if jobs > 1:
        results = check_items_parallel(packset, items, jobs=jobs, fmt=fmt, backend=backend, as_of=as_of, audit=audit)
    else:
        results = check_items(Engine(packset, backend=backend), items, fmt=fmt, as_of=as_of, audit=audit)
    tally = Tally()
    progress = Progress(sys.stderr) if sys.stderr.isatty() and not quiet else None
    collected: list[object] = []
    out = sys.stdout
    if fmt == "csv":
        out.write(",".join(CSV_SUMMARY_COLUMNS) + "\n")
    log = AuditLog(audit_log) if audit_log else None
    try:
        for result in results:
            tally.add(result.outcome)
            for problem in result.problems:
                click.echo(problem.render(), err=True)
            if fmt == "json":
                collected.append(result.output)
            elif result.output:
                out.write(f"{result.output}\n")  # buffered: one flush per buffer, not per record
            if log is not None and result.receipt is not None:
                log.append(result.receipt, dt.datetime.now(dt.UTC))
            if progress is not None:
                progress.update(tally.total)
    finally:
        out.flush()
        if log is not None:
            log.close()
        if progress is not None:
            progress.done()
    if fmt == "json":
        single = len(collected) == 1 and len(files) == 1 and tally.counts["error"] == 0
        click.echo(dumps(collected[0] if single else collected, indent=True))
    if not quiet and tally.total > 1:
        click.echo(tally.summary(), err=True)
    sys.exit(_exit_for(tally, fail_on))


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


@audit.command("verify")
@click.argument("log_file", type=click.Path(exists=True, dir_okay=False))
@quiet_option
def audit_verify(log_file: str) -> None:
    """Check the hash chain of LOG_FILE. Exit 0 intact, 1 broken (the first bad line is named)."""
    count, broken = verify_chain(log_file)
    if broken is not None:
        click.echo(f"{log_file}:{broken.line}:1: error audit-chain receipt {broken.line}: {broken.reason}", err=True)
        sys.exit(1)
    click.echo(f"ok: {count} receipt(s), chain intact")


@audit.command("replay")
@click.argument("log_file", type=click.Path(exists=True, dir_okay=False))
@rules_option
@backend_option
@quiet_option
def audit_replay(log_file: str, rules: tuple[str, ...], backend: str) -> None:
    """Re-evaluate every receipt's input on the given packs; report decisions that differ. Exit 0 same, 1 differ."""
    engine = Engine(load_packs(rules or default_rules()), backend=backend)
    report = replay(engine, log_file)
    for line in report.lines():
        click.echo(line)
    sys.exit(1 if report.changed else 0)


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
