"""``compliance licenses``: the licence ledger from the command line (add, list, show, consume, release, expire).

Every change is a row in the ledger's ``movements`` table; with ``--audit-log`` it is also a ``movement``
receipt in a sealed run of that log. Exit codes: 0 done, 1 something was refused (named on stderr: a released
reservation cannot be consumed, a shipment cannot be released, an expired reservation whose balance is gone),
2 bad input (a broken licence file, an unknown licence or transaction, a database that cannot be opened).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import click

from compliance._version import __version__
from compliance.audit.keys import ENV_KEY, ENV_KEY_FILE, load_key
from compliance.audit.receipts import AuditLog, RunInfo
from compliance.errors import InputError
from compliance.evaluate.balances import units
from compliance.ledger.db import LedgerError, display_url
from compliance.ledger.files import read_licenses
from compliance.ledger.store import DEFAULT_HOLD, Balance, Ledger, Movement, StepResult

__all__ = ["db_option", "hold_option", "licenses", "parse_hold"]

QUIET = "compliance.quiet"  # the CLI's flag (cli.py): notes and summaries on stderr are left out


def _set_quiet(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    if value:
        ctx.meta[QUIET] = True
    return value


quiet_option = click.option(
    "--quiet", is_flag=True, expose_value=False, callback=_set_quiet, help="No notes or summaries on stderr."
)


def _info(message: str) -> None:
    ctx = click.get_current_context(silent=True)
    if not (ctx is not None and ctx.meta.get(QUIET)):
        click.echo(message, err=True)


_HOLD = re.compile(r"^\s*(\d+)\s*([dhms])\s*$")
_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_hold(text: str) -> int:
    """``7d``, ``12h``, ``30m``, ``90s`` -> seconds (at least one second)."""
    m = _HOLD.match(text)
    if m is None or int(m.group(1)) == 0:
        raise ValueError(f"{text!r} is not a duration such as 7d, 12h, 30m or 90s")
    return int(m.group(1)) * _SECONDS[m.group(2)]


def _hold(ctx: click.Context, param: click.Parameter, value: str) -> int:
    try:
        return parse_hold(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


db_option = click.option(
    "--db",
    "db",
    required=True,
    metavar="URL",
    help="The licence ledger: a SQLite file path (created if absent) or postgresql://user@host:port/database.",
)
hold_option = click.option(
    "--hold",
    default=f"{DEFAULT_HOLD.days}d",
    show_default=True,
    callback=_hold,
    metavar="DURATION",
    help="How long a reservation holds its licence before it expires (7d, 12h, 30m, 90s).",
)
_audit_options = (
    click.option(
        "--audit-log",
        type=click.Path(dir_okay=False),
        help="Also write each movement as a receipt to this audit log (a sealed run of its own).",
    ),
    click.option(
        "--audit-key-file",
        type=click.Path(exists=True, dir_okay=False),
        help=f"HMAC key for the receipts (else ${ENV_KEY_FILE} or ${ENV_KEY}).",
    ),
)


def _with_audit(f: click.decorators.FC) -> click.decorators.FC:
    for option in reversed(_audit_options):
        f = option(f)
    return f


@contextmanager
def _open(db: str, *, create: bool = False) -> Iterator[Ledger]:
    ledger = Ledger(db, create=create)
    try:
        yield ledger
    finally:
        ledger.close()


def _record(ledger: Ledger, moves: Sequence[Movement], audit_log: str | None, key_file: str | None, what: str) -> None:
    """The movements as receipts: one run of the audit log, sealed."""
    if key_file and not audit_log:
        raise click.UsageError("--audit-key-file needs --audit-log")
    if audit_log is None:
        return
    run = RunInfo((f"licenses {what}", f"ledger {ledger.id}"), None, "", (), __version__)
    with AuditLog(audit_log, run, key=load_key(key_file)) as log:
        for m in moves:
            log.add_movement(ledger.id, m.to_dict())
        head = log.seal()
    _info(f"audit: {len(moves)} movement(s) sealed in {audit_log}; head {head}")


def _amount(left: int | None, total: float | None, reserved: int, consumed: int, unit: str = "") -> str:
    if left is None or total is None:
        return "no limit"
    u = f" {unit}" if unit else ""
    return (
        f"{units(left, grouped=True)}{u} left of {units(left + reserved + consumed, grouped=True)}{u} "
        f"({units(reserved, grouped=True)} reserved, {units(consumed, grouped=True)} shipped)"
    )


def balance_line(b: Balance) -> str:
    lic = b.license
    text = (
        f"{lic.id}  {lic.authority}  {lic.valid_from} to {lic.valid_to}  quantity "
        f"{_amount(b.quantity_left, lic.quantity, b.reserved_quantity, b.consumed_quantity)}"
    )
    if lic.value is not None:
        text += f"; value {_amount(b.value_left, lic.value, b.reserved_value, b.consumed_value, lic.currency or '')}"
    return text


def _step(result: StepResult) -> None:
    for m in result.movements:
        click.echo(m.describe())
    for note in result.notes:
        _info(f"note: {note}")
    for refusal in result.refused:
        click.echo(f"refused: {refusal}", err=True)


@click.group()
@quiet_option
def licenses() -> None:
    """The licence ledger: licences as master data, reserved by `check --reserve`, drawn down by shipments.

    Exit 0 done, 1 something was refused (said on stderr), 2 bad input or an unusable database.
    """


@licenses.command("add")
@quiet_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@db_option
@click.option("--replace", is_flag=True, help="Amend licences already in the ledger with other terms.")
@_with_audit
def licenses_add(file: str, db: str, replace: bool, audit_log: str | None, audit_key_file: str | None) -> None:
    """Add the licences in FILE (YAML or JSON, the transaction's licence shape; all or none)."""
    try:
        found = read_licenses(file)
    except InputError as err:  # said as what it means here: the ledger was not changed
        raise LedgerError(list(err.problems)) from None
    with _open(db, create=True) as ledger:
        moves = ledger.add(found, replace=replace, source=file)
        for m in moves:
            click.echo(m.describe())
        unchanged = len(found) - len(moves)
        if unchanged:
            _info(f"{unchanged} licence(s) already in the ledger with the same terms: unchanged")
        _record(ledger, moves, audit_log, audit_key_file, "add")
        _info(f"{display_url(db)}: {len(moves)} licence(s) added or amended")


@licenses.command("list")
@quiet_option
@db_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def licenses_list(db: str, fmt: str) -> None:
    """Every licence with its balance (what is left, reserved and shipped), expiring first."""
    with _open(db) as ledger:
        rows = ledger.balances()
    if fmt == "json":
        click.echo(json.dumps([b.to_dict() for b in rows], indent=2, ensure_ascii=False))
        return
    for b in rows:
        click.echo(balance_line(b))


@licenses.command("show")
@quiet_option
@click.argument("license_id")
@db_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def licenses_show(license_id: str, db: str, fmt: str) -> None:
    """One licence: its terms, balance, reservations and every movement on it."""
    with _open(db) as ledger:
        b = ledger.balance(license_id)
        held = ledger.reservations(license=license_id)
        moves = ledger.movements(license=license_id)
    if fmt == "json":
        data = {**b.to_dict(), "reservations": [r.to_dict() for r in held], "movements": [m.to_dict() for m in moves]}
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    click.echo(balance_line(b))
    click.echo("terms: " + json.dumps(b.license.model_dump(mode="json", exclude_none=True), ensure_ascii=False))
    for r in held:
        click.echo(
            f"reservation {r.transaction_id} line {r.line}: {r.status}, quantity {units(r.quantity, grouped=True)}"
            + (f", value {units(r.value, grouped=True)}" if r.value else "")
            + (f", until {r.expires_at}" if r.status == "reserved" else "")
        )
    for m in moves:
        click.echo(f"#{m.seq} {m.at} {m.describe()}")


_lines_option = click.option(
    "--line", "lines", multiple=True, type=click.IntRange(1), metavar="N", help="Only this line (repeatable)."
)


@licenses.command("consume")
@quiet_option
@click.argument("transaction_id")
@db_option
@_lines_option
@_with_audit
def licenses_consume(
    transaction_id: str, db: str, lines: tuple[int, ...], audit_log: str | None, audit_key_file: str | None
) -> None:
    """The transaction shipped: its reservations become shipments (the licence is drawn down for good)."""
    with _open(db) as ledger:
        result = ledger.consume(transaction_id, list(lines) or None)
        _step(result)
        _record(ledger, result.movements, audit_log, audit_key_file, f"consume {transaction_id}")
    sys.exit(1 if result.refused else 0)


@licenses.command("release")
@quiet_option
@click.argument("transaction_id")
@db_option
@_lines_option
@_with_audit
def licenses_release(
    transaction_id: str, db: str, lines: tuple[int, ...], audit_log: str | None, audit_key_file: str | None
) -> None:
    """The order was cancelled: its reservations give their balance back (a shipped line cannot be released)."""
    with _open(db) as ledger:
        result = ledger.release(transaction_id, list(lines) or None)
        _step(result)
        _record(ledger, result.movements, audit_log, audit_key_file, f"release {transaction_id}")
    sys.exit(1 if result.refused else 0)


@licenses.command("expire")
@quiet_option
@db_option
@_with_audit
def licenses_expire(db: str, audit_log: str | None, audit_key_file: str | None) -> None:
    """Record every reservation past its time as expired (balances already ignore them; this writes it down)."""
    with _open(db) as ledger:
        result = ledger.expire()
        _step(result)
        _record(ledger, result.movements, audit_log, audit_key_file, "expire")
        _info(f"{len(result.movements)} reservation(s) expired")
