"""``critmat inventory ...``: the physical reserve and its tamper-evident ledger."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from typer._click.core import Command as ClickCommand  # Typer's own (vendored) Click
from typer.core import TyperGroup

from critmat.cli.inventory_common import DbOpt, KeyOpt, refused
from critmat.cli.inventory_common import open_ledger as _ledger
from critmat.cli.output import ListFormat, ListFormatOpt, emit_frame, emit_json
from critmat.cli.telemetry_cmd import listen
from critmat.usecases.movements import MovementKind, kinds

if TYPE_CHECKING:
    pass

F = TypeVar("F", bound=Callable[..., Any])


def _movement_command(kind: MovementKind) -> ClickCommand:
    """The command of a declared movement kind (critmat.usecases.movements): its parameters
    as arguments in declared order (options where they have a default), ``--key`` and
    ``--db``; it books through Ledger.book and prints the entries booked."""

    def run(**values: Any) -> None:
        db, key = values.pop("db"), values.pop("key")
        _done(_ledger(db).book(kind.name, key=key, **values))

    params: list[inspect.Parameter] = []
    hints: dict[str, Any] = {}
    for p in kind.params:
        spec = (
            typer.Argument(help=p.help, show_default=False)
            if p.default is None
            else typer.Option(help=p.help)
        )
        hints[p.name] = Annotated[str, spec]
        params.append(inspect.Parameter(p.name, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                        default=inspect.Parameter.empty if p.default is None
                                        else p.default, annotation=hints[p.name]))  # fmt: skip
    for name, ann in (("key", KeyOpt), ("db", DbOpt)):
        hints[name] = ann
        params.append(inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                        default=None, annotation=ann))  # fmt: skip
    command = refused(run)
    command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    command.__annotations__ = {**hints, "return": None}
    one = typer.Typer(rich_markup_mode=None, add_completion=False)
    # a negative quantity (-5) is an argument, not an unknown option: no `--` needed before it
    signed = {"ignore_unknown_options": True} if any(p.signed for p in kind.params) else {}
    one.command(kind.command, help=kind.help, context_settings=signed)(command)
    return typer.main.get_command(one)


class _WithMovements(TyperGroup):
    """``critmat inventory``: its commands plus one per movement kind declared when the
    command line is built (a kind registered later appears the next time)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind in kinds():
            if kind.command not in self.commands:
                self.add_command(_movement_command(kind), kind.command)


app = typer.Typer(
    rich_markup_mode=None,
    cls=_WithMovements,
    help="Facilities, lots and the hash-chained ledger.",
    no_args_is_help=True,
)
app.command("listen")(listen)  # live readings over MQTT (critmat.cli.telemetry_cmd)


def _done(seqs: list[int]) -> None:
    typer.echo(f"booked ledger entries {', '.join(map(str, seqs))}")


@app.command("init")
@refused
def init(db: DbOpt = None) -> None:
    """Create or upgrade the database schema (Alembic migrations)."""
    from critmat.services.inventory import init_database

    url, signed = init_database(db)
    typer.echo(
        f"inventory database ready: {url}"
        + (" (genesis signed with the ledger key)" if signed else "")
    )


@app.command("facility")
@refused
def facility(
    code: str,
    name: str,
    zone: Annotated[list[str], typer.Option("--zone", "-z", help="Zone code (repeatable).")],
    location: str = "",
    climate_controlled: bool = False,
    capacity_t: str = "0",
    db: DbOpt = None,
) -> None:
    """Add a facility with its zones."""
    _ledger(db).add_facility(
        code,
        name,
        zone,
        location=location,
        climate_controlled=climate_controlled,
        capacity_t=capacity_t,
    )
    typer.echo(f"facility {code} with zones {', '.join(zone)}")


AcquiredOpt = Annotated[
    datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Acquisition date (YYYY-MM-DD).")
]


@app.command("lot")
@refused
def lot(
    code: str,
    material: str,
    unit: str = "t",
    form: str = "",
    origin_country: str = "",
    supplier: str = "",
    cost_usd: str = "0",
    purity: str = "",
    certificate: str = "",
    acquired_on: AcquiredOpt = None,
    db: DbOpt = None,
) -> None:
    """Register a lot (quantities come from receipts)."""
    _ledger(db).add_lot(
        code, material, unit, form=form, origin_country=origin_country, supplier=supplier,
        cost_usd=cost_usd, purity=purity, certificate=certificate,
        acquired_on=acquired_on.date() if acquired_on else None,
    )  # fmt: skip
    typer.echo(f"lot {code} ({material}, {unit})")


@app.command("lot-set")
@refused
def lot_set(
    code: str,
    purity: Annotated[str | None, typer.Option(help="e.g. 99.99%, 6N.")] = None,
    certificate: Annotated[str | None, typer.Option(help="Assay or origin certificate id.")] = None,
    acquired_on: AcquiredOpt = None,
    form: str | None = None,
    supplier: str | None = None,
    origin_country: str | None = None,
    cost_usd: str | None = None,
    db: DbOpt = None,
) -> None:
    """Set attributes of a registered lot (shown in `critmat inventory lots`)."""
    given = {"purity": purity, "certificate": certificate, "form": form, "supplier": supplier,
             "origin_country": origin_country, "cost_usd": cost_usd,
             "acquired_on": acquired_on.date() if acquired_on else None}  # fmt: skip
    changed = _ledger(db).set_lot(code, **{k: v for k, v in given.items() if v is not None})
    for what, (old, new) in changed.items():
        typer.echo(f"lot {code}: {what} {old or '(empty)'} -> {new}")
    if not changed:
        typer.echo(f"lot {code}: nothing changed")


@app.command("movements")
@refused
def movements_(
    lot: Annotated[str | None, typer.Option(help="Only this lot.")] = None,
    kind: Annotated[
        str | None, typer.Option(help="Only this kind (receipt, dispatch ...).")
    ] = None,
    facility: Annotated[str | None, typer.Option(help="Only movements in this facility.")] = None,
    user: Annotated[str | None, typer.Option(help="Only movements booked by this user.")] = None,
    since: Annotated[str | None, typer.Option(help="Booked on or after YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="Booked on or before YYYY-MM-DD.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000, help="At most this many.")] = 50,
    db: DbOpt = None,
    fmt: ListFormatOpt = ListFormat.table,
) -> None:
    """The movement history, newest first (who booked what, where and when)."""
    from critmat.services.inventory import movements

    total, page = movements(_ledger(db).engine, lot=lot, kind=kind, facility=facility,
                            user=user, since=since, until=until, limit=limit)  # fmt: skip
    title = f"Movements: {len(page)} of {total}, newest first"
    if fmt is not ListFormat.table:
        emit_frame(page, fmt, title=title)
        return
    view = page.assign(
        when=page["created_at"].str[:16].str.replace("T", " ") + " UTC",
        quantity=page["quantity"].astype(float),
        note=(page["transfer"] + " " + page["reason"]).str.strip(),
    )[["seq", "when", "kind", "lot", "location", "quantity", "unit", "booked_by", "note"]]
    emit_frame(view.rename(columns={"booked_by": "by"}), fmt, title=title)


@app.command("balance")
@refused
def balance(db: DbOpt = None, fmt: ListFormatOpt = ListFormat.table) -> None:
    """Balances per lot and location, derived from the ledger (with a warning when the chain
    does not verify)."""
    led = _ledger(db)
    rep = led.verify()
    if not rep.ok:
        typer.secho(f"warning: the ledger does not verify ({rep.state}): {rep.reason}; "
                    "run `critmat inventory verify`", err=True, fg=typer.colors.YELLOW)  # fmt: skip
    b = led.balances()
    b["quantity"] = b["quantity"].astype(float)
    emit_frame(b, fmt, title="Balances (derived from the ledger)")


@app.command("verify")
@refused
def verify(
    db: DbOpt = None,
    fmt: ListFormatOpt = ListFormat.table,
    anchor: Annotated[
        Path | None,
        typer.Option(help="An anchor exported earlier: prove nothing before it was removed."),
    ] = None,
    export: Annotated[
        Path | None,
        typer.Option(help="Write the signed head and counts here (keep it outside the database)."),
    ] = None,
) -> None:
    """Prove the history: chain, signed head, re-derived balances and transfers (and an anchor)."""
    import json

    from critmat.errors import CritmatError

    led = _ledger(db)
    anchor_doc = None
    if anchor is not None:
        try:
            anchor_doc = json.loads(anchor.read_text())
        except (OSError, ValueError) as exc:
            raise CritmatError(f"anchor file {anchor}: {exc}") from None
        if not isinstance(anchor_doc, dict):
            raise CritmatError(f"anchor file {anchor} must hold a JSON object")
    rep = led.verify(anchor_doc)
    if fmt is ListFormat.json:
        emit_json(rep.__dict__)
    elif rep.ok:
        typer.echo(
            f"ledger verified: {rep.checked} entries, chain intact, balances and transfers "
            "re-derived"
            + (", head signed" if rep.signed else f" ({rep.reason})")
            + (", anchor matched" if anchor_doc is not None else "")
        )
    elif rep.state == "unsigned":
        typer.secho(f"ledger NOT YET SIGNED: {rep.reason}", fg=typer.colors.YELLOW)
    else:
        where = f" at entry {rep.first_bad_seq}" if rep.first_bad_seq is not None else ""
        typer.secho(
            f"ledger BROKEN{where}: {rep.reason} ({rep.checked} entries verified before it)",
            fg=typer.colors.RED,
        )
    if not rep.ok:
        raise typer.Exit(1)
    if export is not None:
        doc = led.export_anchor()
        from critmat.report.html import write_page

        write_page(export, json.dumps(doc, indent=2) + "\n")
        typer.echo(f"wrote anchor {export.resolve()} (seq {doc['seq']})", err=True)


@app.command("sign")
@refused
def sign(
    db: DbOpt = None,
    old_key_file: Annotated[
        Path | None,
        typer.Option(help="Rotating keys: the previous key file (its MAC is checked first)."),
    ] = None,
) -> None:
    """Sign the chain head with the ledger key (CRITMAT_LEDGER_KEY_FILE), e.g. after rotation."""
    from critmat.settings import Settings

    old = None
    if old_key_file is not None:
        old = Settings(ledger_key_file=str(old_key_file)).key_bytes()
    seq = _ledger(db).sign(old)
    typer.echo(f"chain head signed at entry {seq}")


@app.command("ingest")
@refused
def ingest(path: str, db: DbOpt = None) -> None:
    """Load sensor readings (CSV/JSON: zone, timestamp, metric, value); raise alerts."""
    from critmat.services.inventory import ingest as run

    rep = run(_ledger(db), path)
    typer.echo(
        f"{rep.readings} readings from {rep.file}; {rep.alerts} new alerts"
        + (f"; {rep.duplicates} already loaded, skipped" if rep.duplicates else "")
    )


@app.command("alerts")
@refused
def alerts(
    status: str | None = None, db: DbOpt = None, fmt: ListFormatOpt = ListFormat.table
) -> None:
    """Condition alerts (open, acknowledged, resolved)."""
    from critmat.services.inventory import alerts as list_alerts

    emit_frame(list_alerts(_ledger(db), status), fmt, title="Alerts")


@app.command("ack")
@refused
def ack(alert_id: int, note: str = "", db: DbOpt = None) -> None:
    """Acknowledge an alert."""
    from critmat.services.inventory import set_alert

    set_alert(_ledger(db), alert_id, "acknowledged", note)
    typer.echo(f"alert {alert_id} acknowledged")


@app.command("resolve")
@refused
def resolve(alert_id: int, note: str, db: DbOpt = None) -> None:
    """Resolve an alert (say what was done)."""
    from critmat.services.inventory import set_alert

    set_alert(_ledger(db), alert_id, "resolved", note)
    typer.echo(f"alert {alert_id} resolved")


@app.command("quality")
@refused
def quality(db: DbOpt = None, fmt: ListFormatOpt = ListFormat.table) -> None:
    """Quality grade per lot: 100 minus degradation while its zone was out of limits."""
    from critmat.services.inventory import quality as grades

    emit_frame(grades(_ledger(db)), fmt, title="Quality grades")


@app.command("value")
@refused
def value(
    ctx: typer.Context,
    price_feed: Annotated[
        str | None, typer.Option(help="CSV with material,price_usd_per_t overriding the dataset.")
    ] = None,
    db: DbOpt = None,
    fmt: ListFormatOpt = ListFormat.table,
) -> None:
    """Mark-to-market value per lot (dataset prices; each row names its price series)."""
    from critmat.cli.output import dataset_from
    from critmat.services.inventory import read_price_feed, valuation

    feed = read_price_feed(price_feed) if price_feed is not None else None
    v = valuation(_ledger(db), dataset_from(ctx), feed)
    v["quantity"] = v["quantity"].astype(float)
    emit_frame(v, fmt, title="Valuation (USD, nominal)")


@app.command("insurance")
@refused
def insurance(
    ctx: typer.Context,
    add: Annotated[str | None, typer.Option(help="Add a policy with this number.")] = None,
    facility: Annotated[str | None, typer.Option(help="Facility (omit for in transit).")] = None,
    insured_usd: float = 0.0,
    expires: str = "",
    db: DbOpt = None,
    fmt: ListFormatOpt = ListFormat.table,
) -> None:
    """Coverage per facility (value held vs insured), or add a policy with --add."""
    import datetime as dt

    from critmat.cli.output import dataset_from
    from critmat.services.inventory import InventoryError, add_policy, coverage

    led = _ledger(db)
    if add is not None:
        try:
            day = dt.date.fromisoformat(expires)
        except ValueError:
            raise InventoryError(f"--expires must be a date YYYY-MM-DD, not {expires!r}") from None
        add_policy(led, add, facility, insured_usd, day)
        typer.echo(f"policy {add} added")
        return
    emit_frame(coverage(led, dataset_from(ctx), dt.date.today()), fmt, title="Insurance coverage")


@app.command("rotate")
@refused
def rotate(
    ctx: typer.Context, year: int, db: DbOpt = None, fmt: ListFormatOpt = ListFormat.table
) -> None:
    """Lots to sell and replace in a year (first expired first out) and the net cost."""
    from critmat.cli.output import dataset_from
    from critmat.services.inventory import rotation_plan

    plan = rotation_plan(_ledger(db), dataset_from(ctx), year)
    if plan.empty:
        typer.echo(f"no lot is due for rotation in {year}")
        return
    plan["quantity"] = plan["quantity"].astype(float)
    emit_frame(plan, fmt, title=f"Rotation plan {year}")


@app.command("demo")
@refused
def demo(db: DbOpt = None, seed: int = 7) -> None:
    """Create the SYNTHETIC demo agency (three facilities, a year of data) in a new database."""
    from critmat.services.inventory import migrate, seed_demo

    migrate(db)
    counts = seed_demo(_ledger(db), seed=seed)  # refuses a database that holds data
    typer.echo(
        f"synthetic demo agency created: {counts['movements']} movements, "
        f"{counts['readings']:,} sensor readings (all figures invented, seed {seed})"
    )


@app.command("equipment")
@refused
def equipment(
    code: str,
    facility: str,
    kind: str,
    installed_on: str,
    last_service_on: str,
    hours_since_service: float,
    hours_per_day: float,
    db: DbOpt = None,
) -> None:
    """Register climate equipment (kind: dehumidifier or hvac; dates YYYY-MM-DD)."""
    import datetime as dt

    from critmat.services.inventory import InventoryError, add_equipment

    try:
        inst, last = dt.date.fromisoformat(installed_on), dt.date.fromisoformat(last_service_on)
    except ValueError as exc:
        raise InventoryError(f"dates must be YYYY-MM-DD: {exc}") from None
    add_equipment(_ledger(db), code, facility, kind, inst, last, hours_since_service, hours_per_day)
    typer.echo(f"equipment {code} registered")


@app.command("serviced")
@refused
def serviced(
    code: Annotated[str, typer.Argument(help="Equipment code.")],
    day: Annotated[str, typer.Argument(help="The service date, YYYY-MM-DD.")],
    db: DbOpt = None,
) -> None:
    """Record a service: the unit's run hours start again from zero on that day."""
    from critmat.services.inventory import parse_day, record_service

    record_service(_ledger(db), code, parse_day(day, "the service date"))
    typer.echo(f"equipment {code} serviced on {day}: run hours start again from zero")


@app.command("maintenance")
@refused
def maintenance(as_of: str = "", db: DbOpt = None, fmt: ListFormatOpt = ListFormat.table) -> None:
    """Failure risk in the next 30 days and the next service date per unit (Weibull model)."""
    import datetime as dt

    from critmat.services.inventory import maintenance_plan, parse_day

    day = parse_day(as_of, "--as-of") if as_of else dt.date.today()
    emit_frame(maintenance_plan(_ledger(db), day), fmt, title=f"Maintenance as of {day}")


@app.command("targets")
@refused
def targets(path: str, db: DbOpt = None, fmt: ListFormatOpt = ListFormat.table) -> None:
    """Holdings per material next to the optimiser's targets (JSON of `critmat plan -f json`,
    or CSV with columns material, optimal_t)."""
    import json
    from pathlib import Path

    import pandas as pd

    from critmat.services.inventory import InventoryError

    p = Path(path)
    try:
        if p.suffix == ".json":
            tgt = pd.DataFrame(json.loads(p.read_text())["composition"])
        else:
            tgt = pd.read_csv(p)
        tgt = tgt[["material", "optimal_t"]]
    except (OSError, KeyError, ValueError) as exc:
        raise InventoryError(f"{p}: cannot read targets (material, optimal_t): {exc}") from None
    from critmat.services.inventory import holdings_vs_targets

    emit_frame(holdings_vs_targets(_ledger(db), tgt), fmt, title="Holdings vs optimiser targets")


@app.command("lots")
@refused
def lots_(db: DbOpt = None, fmt: ListFormatOpt = ListFormat.table) -> None:
    """The lot register (quantities: `critmat inventory balance`)."""
    from critmat.services.inventory import lots

    df = lots(_ledger(db).engine)
    df["cost_usd"] = df["cost_usd"].astype(float)
    emit_frame(df, fmt, title="Lots")


@app.command("risk")
@refused
def risk(
    add: Annotated[str | None, typer.Option(help="Category of a risk to add.")] = None,
    description: str = "",
    likelihood: int = 0,
    impact: int = 0,
    mitigation: str = "",
    owner: str = "",
    facility: str | None = None,
    db: DbOpt = None,
    fmt: ListFormatOpt = ListFormat.table,
) -> None:
    """The risk register (theft, espionage, accident, natural hazard ...), or add one."""
    from critmat.services.inventory import add_risk, risk_register

    led = _ledger(db)
    if add is not None:
        add_risk(led, add, description, likelihood, impact, mitigation, owner, facility)
        typer.echo(f"risk added ({add})")
        return
    emit_frame(risk_register(led), fmt, title="Risk register (score = likelihood x impact)")
