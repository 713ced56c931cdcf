"""Anticipate: demand projections with drivers and substitution (:mod:`critmat.forecast.demand`),
statistical price and consumption forecasts with honest backtests (:mod:`critmat.forecast.stats`)
and the early-warning index (:mod:`critmat.forecast.warning`). Pure computation on DataFrames; the
dataset is read by :mod:`critmat.services.forecast`."""
