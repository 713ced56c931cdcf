"""Statistical forecasts of one series with prediction intervals, and their rolling-origin
backtest (docs/methods.md 8.3).

Models, fitted to the natural log of the series (prices and quantities are positive; intervals
are symmetric in logs, so skewed in levels):

``naive``
    random walk: the last value; interval ``+- z * s * sqrt(h)`` with ``s`` the standard
    deviation of the one-step log changes of the training data.
``ets``
    exponential smoothing with additive errors and a damped additive trend, ETS(A,Ad,N)
    (Hyndman et al. 2008), statsmodels ``ETSModel``; intervals from its state-space form.
``arima``
    ARIMA(1,1,1) (Box-Jenkins), statsmodels ``ARIMA``; intervals from the Kalman filter.

Backtest: from each origin, the model sees only the observations up to the origin (the fit
function receives that slice and nothing else; a test fails if later data change a forecast) and
forecasts ``h`` steps. Accuracy is the mean absolute scaled error (Hyndman and Koehler 2006)::

    MASE = mean |y_t+k - yhat_t+k| / mean_{i <= t} |y_i - y_{i-1}|

(scale: the in-sample one-step naive error of the training data, in levels), and the coverage
of the 80 % and 95 % intervals. A model is reported as better than naive only where its backtest
MASE is lower than the naive model's on the same origins.
"""

from __future__ import annotations

import warnings
from statistics import NormalDist
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = ["MODELS", "Model", "backtest", "backtest_summary", "fit_forecast"]

Model = Literal["naive", "ets", "arima"]
MODELS: tuple[Model, ...] = ("naive", "ets", "arima")
LEVELS = (0.80, 0.95)
F64 = npt.NDArray[np.float64]
COLUMNS = ["mean", "lo80", "hi80", "lo95", "hi95"]


def _naive(logy: F64, h: int) -> F64:
    d = np.diff(logy)
    s = float(np.std(d, ddof=1)) if len(d) > 1 else 0.0
    steps = np.sqrt(np.arange(1, h + 1))
    out: list[F64] = [np.full(h, logy[-1])]
    for lv in LEVELS:
        z = NormalDist().inv_cdf(0.5 + lv / 2)
        out += [logy[-1] - z * s * steps, logy[-1] + z * s * steps]
    return np.column_stack(out)


def _ets(logy: F64, h: int) -> F64:
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    y = pd.Series(logy)
    res = ETSModel(y, error="add", trend="add", damped_trend=True).fit(disp=False)
    out: list[F64] = []
    for lv in LEVELS:
        f = res.get_prediction(start=len(y), end=len(y) + h - 1).summary_frame(alpha=1 - lv)
        if not out:
            out.append(f["mean"].to_numpy(float))
        out += [f["pi_lower"].to_numpy(float), f["pi_upper"].to_numpy(float)]
    return np.column_stack(out)


def _arima(logy: F64, h: int) -> F64:
    from statsmodels.tsa.arima.model import ARIMA

    res = ARIMA(logy, order=(1, 1, 1)).fit()
    f = res.get_forecast(h)
    out = [np.asarray(f.predicted_mean, float)]
    for lv in LEVELS:
        ci = np.asarray(f.conf_int(alpha=1 - lv), float)
        out += [ci[:, 0], ci[:, 1]]
    return np.column_stack(out)


_FIT = {"naive": _naive, "ets": _ets, "arima": _arima}


def fit_forecast(y: F64, model: Model, h: int) -> pd.DataFrame:
    """Forecast ``h`` steps after the last value of ``y`` (positive, in levels): columns
    ``step``, ``mean`` (the median in levels), ``lo80``, ``hi80``, ``lo95``, ``hi95``."""
    y = np.asarray(y, float)
    if len(y) < 3 or not np.all(np.isfinite(y)) or np.any(y <= 0):
        raise ValueError("a series needs at least 3 positive, finite values")
    if model not in _FIT:
        raise ValueError(f"unknown model {model!r}; known: {', '.join(MODELS)}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels convergence chatter; accuracy is backtested
        z = _FIT[model](np.log(y), h)
    z = np.where(np.isfinite(z), z, np.nan)
    df = pd.DataFrame(np.exp(np.clip(z, -50, 50)), columns=COLUMNS)
    df.insert(0, "step", np.arange(1, h + 1))
    return df


def backtest(
    y: pd.Series,
    model: Model,
    h: int,
    origins: list[int],
    *,
    window: int | None = None,
) -> pd.DataFrame:
    """Rolling-origin forecasts: for each origin position ``t`` (an index into ``y``), fit on
    ``y[:t+1]`` (the last ``window`` values of it, if given) and compare with ``y[t+1:t+1+h]``.

    Returns one row per origin and step: ``origin`` (label), ``target`` (label), ``actual``,
    ``mean``, the interval bounds, ``abs_error`` and ``scale`` (the MASE denominator)."""
    vals = y.to_numpy(float)
    labels = list(y.index)
    rows = []
    for t in origins:
        if t < 2 or t + 1 >= len(vals):
            continue
        train = vals[: t + 1] if window is None else vals[max(0, t + 1 - window) : t + 1]
        f = fit_forecast(train, model, h)
        actual = vals[t + 1 : t + 1 + h]
        k = len(actual)
        scale = float(np.mean(np.abs(np.diff(train))))
        part = f.iloc[:k].copy()
        part.insert(0, "origin", labels[t])
        part.insert(1, "target", labels[t + 1 : t + 1 + k])
        part["actual"] = actual
        part["abs_error"] = np.abs(actual - part["mean"].to_numpy())
        part["scale"] = scale
        rows.append(part)
    if not rows:
        return pd.DataFrame()
    out = pd.concat(rows, ignore_index=True)
    out.insert(0, "model", model)
    return out


def backtest_summary(detail: pd.DataFrame) -> pd.DataFrame:
    """MASE and interval coverage per model (rows of :func:`backtest` for one series), with
    ``better_than_naive`` (MASE below the naive model's on the same origins)."""
    if detail.empty:
        return pd.DataFrame()
    g = detail.assign(
        scaled=detail["abs_error"] / detail["scale"].replace(0.0, np.nan),
        in80=(detail["actual"] >= detail["lo80"]) & (detail["actual"] <= detail["hi80"]),
        in95=(detail["actual"] >= detail["lo95"]) & (detail["actual"] <= detail["hi95"]),
    ).groupby("model")
    s = pd.DataFrame(
        {
            "origins": g["origin"].nunique(),
            "forecasts": g.size(),
            "mase": g["scaled"].mean(),
            "coverage80": g["in80"].mean(),
            "coverage95": g["in95"].mean(),
        }
    ).reset_index()
    naive = s.loc[s["model"] == "naive", "mase"]
    base = float(naive.iloc[0]) if len(naive) else np.nan
    s["better_than_naive"] = (s["model"] != "naive") & (s["mase"] < base)
    return s
