"""Valuation, insurance coverage and rotation planning of the physical reserve.

- Value: balance (t of the material's basis) x the latest published price on that basis
  (critmat.data.basis.basis_price, or a user price feed); every row names the price series, its
  year and unit.
- Insurance: value held per facility (and in transit) against active policies; the gap is the
  value above the insured amount; expired policies do not count.
- Rotation (first-expired-first-out): a lot is due when its indicative shelf life (storage table)
  ends within the planning year or its quality grade has fallen below 80; selling it at 90% of
  value x grade and buying the same quantity back at the current price gives the net cost
  (assumptions stated in docs/inventory.md).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from critmat.data.basis import basis_price
from critmat.data.catalogue import MATERIALS
from critmat.data.dataset import Dataset
from critmat.inventory.checks import InventoryError, check_text, exact, parse_day, to_tonnes
from critmat.inventory.ledger import Ledger
from critmat.inventory.models import MAX_USD, Facility, InsurancePolicy, Lot
from critmat.inventory.monitoring import quality
from critmat.inventory.registers import facility_id

__all__ = [
    "add_policy",
    "coverage",
    "holdings_vs_targets",
    "read_price_feed",
    "rotation_plan",
    "valuation",
]

SALE_DISCOUNT = 0.10
GRADE_FLOOR = 80.0


#: the highest price a feed may state, USD per t: ten times rhodium's 2021 peak (about 9e8)
MAX_FEED_PRICE = 1e10


def read_price_feed(path: str | Path) -> dict[str, float]:
    """A user's price feed: a CSV file with columns ``material`` (critmat material id) and
    ``price_usd_per_t`` (USD per t of the material's basis, nominal).

    Raises
    ------
    InventoryError
        Naming the file, line, column and reason of every bad row (a price that is not a
        positive finite number up to :data:`MAX_FEED_PRICE`, an unknown material, a material
        given twice); nothing is used from a refused feed.
    """

    p = Path(path)
    try:
        f = pd.read_csv(p, dtype=str, keep_default_na=False)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise InventoryError(f"price feed {p} cannot be read: {exc}") from None
    missing = [c for c in ("material", "price_usd_per_t") if c not in f.columns]
    if missing:
        raise InventoryError(
            f"price feed {p}: needs columns material, price_usd_per_t; missing {', '.join(missing)}"
        )
    if f.empty:
        raise InventoryError(f"price feed {p} has no rows")
    known = {m.id for m in MATERIALS}
    feed: dict[str, float] = {}
    bad: list[str] = []
    for i, (mat, text) in enumerate(zip(f["material"], f["price_usd_per_t"], strict=True)):
        where = f"line {i + 2}"
        try:
            price = float(text)
        except ValueError:
            price = float("nan")
        if mat not in known:
            bad.append(f"{where}, column 'material': unknown material {mat!r}")
        elif mat in feed:
            bad.append(f"{where}, column 'material': {mat} is given twice")
        if not (0.0 < price <= MAX_FEED_PRICE):  # NaN fails too
            bad.append(
                f"{where}, column 'price_usd_per_t': {text!r} is not a price (a positive number "
                f"of USD per t, at most {MAX_FEED_PRICE:g})"
            )
        feed.setdefault(mat, price)
    if bad:
        more = f"; ... and {len(bad) - 10} more" if len(bad) > 10 else ""
        raise InventoryError(f"price feed {p} refused: {'; '.join(bad[:10])}{more}")
    return feed


def _prices(ds: Dataset, lots: pd.DataFrame, feed: dict[str, float] | None) -> pd.DataFrame:
    """USD per t of each material's basis: the user's feed, else the latest published series on
    the basis (:func:`critmat.data.basis.basis_price`; lots are booked in t of the basis)."""

    year = dt.date.today().year
    rows = []
    for mat in lots["material"].drop_duplicates().astype(str):
        if feed and mat in feed:
            rows.append((mat, feed[mat], "user price feed (USD/t)"))
            continue
        q = basis_price(ds, mat, year)
        if q is None or q.status == "proxy":
            rows.append((mat, float("nan"), "no published price on the basis in the dataset"))
            continue
        src = f"{q.form} {q.price_year} ({q.as_printed}; {q.status}; {q.unit})"
        rows.append((mat, q.usd_per_t, src))
    return pd.DataFrame(rows, columns=["material", "price_usd_per_t", "price_source"])


def valuation(led: Ledger, ds: Dataset, feed: dict[str, float] | None = None) -> pd.DataFrame:
    """Mark-to-market value per lot and location (USD, nominal)."""
    bal = led.balances()
    if bal.empty:
        return bal.assign(price_usd_per_t=[], price_source=[], value_usd=[])
    prices = _prices(ds, bal, feed)
    out = bal.merge(prices, on="material", how="left")
    tonnes = [to_tonnes(q, u) for q, u in zip(out["quantity"], out["unit"], strict=True)]
    out["value_usd"] = [t * p for t, p in zip(tonnes, out["price_usd_per_t"], strict=True)]
    return out


def add_policy(
    led: Ledger, policy_no: str, facility: str | None, insured_value_usd: float, expires_on: dt.date
) -> None:
    """Register a policy for a facility (``None`` = goods in transit): a finite, non-negative
    insured value and an expiry between 1950 and 2200."""

    check_text("policy number", policy_no, 60)
    value = exact(insured_value_usd, "insured value (USD)", MAX_USD)
    if value < 0:
        raise InventoryError(f"the insured value must not be negative, not {insured_value_usd}")
    expires_on = parse_day(expires_on, "--expires")
    with Session(led.engine) as s, s.begin():
        fid = None if facility is None else facility_id(s, facility)
        if s.scalar(select(InsurancePolicy).where(InsurancePolicy.policy_no == policy_no)):
            raise InventoryError(f"policy {policy_no!r} exists already")
        s.add(
            InsurancePolicy(
                policy_no=policy_no,
                facility_id=fid,
                insured_value_usd=value.quantize(Decimal("0.01")),
                expires_on=expires_on,
            )
        )


def coverage(
    led: Ledger, ds: Dataset, as_of: dt.date, feed: dict[str, float] | None = None
) -> pd.DataFrame:
    """Value held vs insured per facility (and in transit); gap = value above cover."""
    val = valuation(led, ds, feed)
    val["facility"] = [
        loc.split("/")[0] if loc != "in transit" else "in transit" for loc in val["location"]
    ]
    held = val.groupby("facility")["value_usd"].sum()
    with Session(led.engine) as s:
        pols = s.execute(
            select(
                Facility.code, InsurancePolicy.insured_value_usd, InsurancePolicy.expires_on
            ).outerjoin(Facility, Facility.id == InsurancePolicy.facility_id)
        ).all()
    insured: dict[str, float] = {}
    expired: dict[str, int] = {}
    for fac, value, exp in pols:
        key = fac or "in transit"
        if exp >= as_of:
            insured[key] = insured.get(key, 0.0) + float(value)
        else:
            expired[key] = expired.get(key, 0) + 1
    rows = []
    for fac in sorted(set(held.index) | set(insured)):
        h, i = float(held.get(fac, 0.0)), insured.get(fac, 0.0)
        rows.append(
            {
                "facility": fac,
                "value_held_usd": h,
                "insured_usd": i,
                "gap_usd": max(0.0, h - i),
                "expired_policies": expired.get(fac, 0),
            }
        )
    return pd.DataFrame(rows)


def rotation_plan(
    led: Ledger, ds: Dataset, year: int, feed: dict[str, float] | None = None
) -> pd.DataFrame:
    """Lots due for rotation in ``year`` (first expired first out) and the net cost."""
    if not 1950 <= year <= 2200:
        raise InventoryError(f"the rotation year must lie in 1950-2200, not {year}")
    val = valuation(led, ds, feed)
    if val.empty:
        return val
    grades = quality(led).set_index(["lot", "location"])["grade"]
    st = ds.storage
    life = st[st["property"] == "indicative_shelf_life_years"].set_index("material")["value"]
    with Session(led.engine) as s:
        acquired = dict(s.execute(select(Lot.code, Lot.acquired_on)).all())
    end = dt.date(year, 12, 31)
    rows = []
    for _, r in val.iterrows():
        years = float(life.get(r["material"], "nan"))
        acq = acquired.get(r["lot"])
        expiry = (
            dt.date(acq.year + int(years), acq.month, min(acq.day, 28))
            if acq is not None and years == years
            else None
        )
        grade = float(grades.get((r["lot"], r["location"]), 100.0))
        due = (expiry is not None and expiry <= end) or grade < GRADE_FLOOR
        if not due:
            continue
        buy = float(r["value_usd"])
        sell = buy * grade / 100.0 * (1.0 - SALE_DISCOUNT)
        rows.append(
            {
                "lot": r["lot"],
                "material": r["material"],
                "location": r["location"],
                "quantity": r["quantity"],
                "unit": r["unit"],
                "expires": expiry.isoformat() if expiry else "",
                "grade": grade,
                "sale_proceeds_usd": sell,
                "replacement_usd": buy,
                "net_cost_usd": buy - sell,
                "reason": "shelf life ends" if expiry and expiry <= end else "grade below 80",
            }
        )
    return pd.DataFrame(rows).sort_values("expires") if rows else pd.DataFrame()


def holdings_vs_targets(led: Ledger, targets: pd.DataFrame) -> pd.DataFrame:
    """Tonnes held per material next to the optimiser's targets (columns material, optimal_t)."""
    bal = led.balances()
    held_t = [to_tonnes(q, u) for q, u in zip(bal["quantity"], bal["unit"], strict=True)]
    held = bal.assign(held_t=held_t).groupby("material")["held_t"].sum()
    out = targets.dropna(subset=["optimal_t"])[["material", "optimal_t"]].assign(
        held_t=targets["material"].map(held).fillna(0.0)
    )
    out["gap_t"] = out["optimal_t"] - out["held_t"]
    return out
