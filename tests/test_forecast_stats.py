"""Statistical forecasts: intervals, the rolling-origin backtest without look-ahead, MASE by hand,
coverage on a simulated random walk, and the service's 'better than naive only if backtested'."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from critmat.data import load
from critmat.forecast.stats import MODELS, backtest, backtest_summary, fit_forecast


def _walk(n: int = 240, seed: int = 0, drift: float = 0.0) -> pd.Series:
    rng = np.random.default_rng(seed)
    return pd.Series(100.0 * np.exp(np.cumsum(drift + 0.05 * rng.standard_normal(n))))


def test_naive_is_the_last_value_with_intervals_widening_as_sqrt_h() -> None:
    y = _walk(60).to_numpy()
    f = fit_forecast(y, "naive", 4)
    assert np.allclose(f["mean"], y[-1])
    s = np.std(np.diff(np.log(y)), ddof=1)
    half = np.log(f["hi95"] / f["mean"]).to_numpy()
    np.testing.assert_allclose(half, 1.959964 * s * np.sqrt([1, 2, 3, 4]), rtol=1e-5)
    assert (f["lo95"] < f["lo80"]).all() and (f["hi80"] < f["hi95"]).all()


@pytest.mark.parametrize("model", MODELS)
def test_every_model_gives_ordered_positive_intervals(model: str) -> None:
    f = fit_forecast(_walk(120, 1).to_numpy(), model, 12)  # type: ignore[arg-type]
    assert len(f) == 12 and (f[["mean", "lo80", "hi80", "lo95", "hi95"]] > 0).all().all()
    assert ((f["lo95"] <= f["lo80"]) & (f["lo80"] <= f["mean"]) & (f["mean"] <= f["hi80"])
            & (f["hi80"] <= f["hi95"])).all()  # fmt: skip


@pytest.mark.parametrize("model", MODELS)
def test_backtest_forecasts_do_not_see_the_future(model: str) -> None:
    """Change every value after an origin: that origin's forecasts must not move."""
    y = _walk(150, 2)
    origins = [100, 120]
    a = backtest(y, model, 6, origins)  # type: ignore[arg-type]
    z = y.copy()
    z.iloc[101:] = z.iloc[101:] * 3.0
    b = backtest(z, model, 6, [100])  # type: ignore[arg-type]
    cols = ["mean", "lo80", "hi80", "lo95", "hi95"]
    np.testing.assert_allclose(a[a["origin"] == 100][cols].to_numpy(), b[cols].to_numpy())
    assert not np.allclose(a[a["origin"] == 100]["actual"], b["actual"])


def test_mase_by_hand() -> None:
    """A straight line y = 10 + t: the naive forecast from origin t misses by k at step k; the
    in-sample naive error is 1, so MASE = mean(1..h)."""
    y = pd.Series(10.0 + np.arange(30, dtype=float))
    d = backtest(y, "naive", 3, [20, 24])
    s = backtest_summary(d).set_index("model")
    assert s.loc["naive", "mase"] == pytest.approx(2.0)
    assert s.loc["naive", "forecasts"] == 6 and s.loc["naive", "origins"] == 2


def test_naive_interval_coverage_on_a_random_walk() -> None:
    """On a true Gaussian random walk in logs the naive 95 % interval covers about 95 %."""
    y = _walk(600, 4)
    d = backtest(y, "naive", 1, list(range(100, 599)))
    s = backtest_summary(d).set_index("model")
    assert 0.91 <= s.loc["naive", "coverage95"] <= 0.99
    assert 0.74 <= s.loc["naive", "coverage80"] <= 0.86


def test_a_trend_model_beats_naive_on_a_trending_series() -> None:
    y = pd.Series(np.exp(0.02 * np.arange(200) + 0.002 * np.sin(np.arange(200))))
    origins = list(range(100, 190, 10))
    d = pd.concat([backtest(y, m, 6, origins) for m in ("naive", "ets")])
    s = backtest_summary(d).set_index("model")
    assert bool(s.loc["ets", "better_than_naive"]) and not bool(s.loc["naive", "better_than_naive"])


def test_too_short_or_bad_series_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 3 positive"):
        fit_forecast(np.array([1.0, -2.0, 3.0]), "naive", 2)
    with pytest.raises(ValueError, match="unknown model"):
        fit_forecast(np.array([1.0, 2.0, 3.0]), "prophet", 2)  # type: ignore[arg-type]


def test_service_shows_a_model_only_where_it_beat_naive() -> None:
    from critmat.services.forecast import PricesRequest, run_prices

    res = run_prices(load(), PricesRequest(materials=["tin", "nickel", "gallium"], origins=4))
    s = res.summary
    for (m, series), f in res.forecasts.groupby(["material", "series"]):
        chosen = f["model"].iloc[0]
        rows = s[(s["material"] == m) & (s["series"] == series)]
        if chosen != "naive":
            assert bool(rows.set_index("model").loc[chosen, "better_than_naive"])
            naive = rows.set_index("model").loc["naive", "mase"]
            assert rows.set_index("model").loc[chosen, "mase"] < naive
        elif len(rows):
            assert not rows["better_than_naive"].any()
    # gallium has 4-5 annual prices: no backtest, said so, naive only
    assert any("gallium" in n and "too short" in n for n in res.notes)
    assert set(res.forecasts[res.forecasts["material"] == "gallium"]["model"]) == {"naive"}
    # monthly World Bank series forecast by month, with the unit of the series
    tin = res.forecasts[res.forecasts["material"] == "tin"]
    assert tin["period"].str.match(r"^\d{4}-\d{2}$").all() and (tin["unit"] == "USD/t Sn").all()


def test_nickel_price_level_against_the_world_bank_record() -> None:
    """Order of magnitude: LME nickel averaged about USD 16,800/t in 2024 (World Bank Pink
    Sheet annual average); the shipped monthly series must agree within x1.5."""
    ps = load().table("price_series")
    ni = ps[(ps["series"] == "WB NICKEL") & (ps["year"] == 2024)]["value"].mean()
    assert 16_800 / 1.5 < ni < 16_800 * 1.5
