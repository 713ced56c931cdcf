"""The terms critmat prints, defined once: ``critmat glossary [TERM]`` and the HTML footnotes."""

from __future__ import annotations

__all__ = ["GLOSSARY", "lookup", "terms_in"]

#: term -> definition (docs/methods.md has the equations and citations).
GLOSSARY: dict[str, str] = {
    "basis": "the chemical form a material's tonnes and prices refer to (Li content, Nd2O3, "
    "Tb4O7, natural graphite ...); every quantity is in t of the basis, every price in USD per t "
    "of it (docs/methods.md 1b)",
    "HHI": "Herfindahl-Hirschman index: the sum of squared supply shares (0-1; x10,000 on the "
    "competition-authority scale); named countries only, so a lower bound",
    "IR": "import reliance: net imports / apparent consumption of the holder, on the basis",
    "SR": "EU supply risk (EC 2017 method): governance-weighted concentration of global and EU "
    "sourcing, adjusted for import reliance, recycling and substitution; critical if SR >= 1.0",
    "EI": "EU economic importance: value added of the sectors using the material, weighted by "
    "end-use shares, scaled 0-10 (EC 2017); critical if EI >= 2.8",
    "SI": "substitution index (EC 2017): 1 = no substitute; SI_SR lowers supply risk, SI_EI "
    "economic importance and the loss per tonne",
    "DP x TE x EV": "USGS-style supply risk: disruption potential (governance-weighted "
    "production concentration) x trade exposure (net import reliance) x economic vulnerability",
    "WTA": "GeoPolRisk import-risk term: instability-weighted import shares, sum g_i f_i / (p + F)",
    "GeoPolRisk": "HHI x WTA (Gemechu et al. 2016; Koyamparambath et al. 2024)",
    "CVaR95": "conditional value at risk at 95%: the mean of the worst 5% of scenarios",
    "P95": "95th percentile over the simulated runs",
    "loss per tonne": "economic loss of a tonne of demand left unmet: the value added of the "
    "sectors that use it per tonne x SI_EI x a dependency share, at least the price; doubled "
    "in months with more than half of demand unmet (docs/methods.md 6.7)",
    "total cost": "purchase + spread + storage, insurance and financing over the horizon - "
    "worth of the stock left at the end + expected loss of unmet demand",
    "days of cover": "stock / holder demand per day",
    "shortfall": "demand the holder's supply does not meet before any release from the reserve",
    "unmet": "shortfall the reserve does not cover",
    "SAA gap": "sample-average-approximation bounds on the optimality gap of the plan "
    "(Mak, Morton & Wood 1999)",
    "status": "provenance of a figure: published, secondary, derived, estimated, assumption, proxy",
    "EoL-RIR": "end-of-life recycling input rate: recycled share of the material's supply",
    "MASE": "mean absolute scaled error of a forecast: its mean absolute error over that of a "
    "one-step naive forecast in the training data (Hyndman & Koehler 2006); lower is better, "
    "compare models on the same series",
    "STEPS": "the IEA's Stated Policies Scenario (policies in place or announced)",
    "APS": "the IEA's Announced Pledges Scenario (national climate pledges met in full)",
    "ETS": "exponential smoothing state-space model; critmat fits ETS(A,Ad,N) on log prices",
    "ARIMA": "autoregressive integrated moving average model; critmat fits ARIMA(1,1,1) on logs",
    "GDP per 1% cut": "value added lost in the whole economy when an industry makes 1% less: "
    "its own and, through the mixed input-output model, its suppliers' (backward linkages; "
    "docs/methods.md 6.8)",
    "total requirements": "the Leontief inverse (I - A)^-1: output of each industry needed per "
    "dollar of another industry's final demand (BEA publishes it industry by industry)",
    "market stocks": "metal held by industry, traders, exchanges and states that a shortage "
    "draws on; months of the market's supply (market_response; docs/methods.md 6.3)",
    "storage price": "the price at which holders sell from market stocks: at least "
    "(S0 / S) ** beta with the stocks at S of their normal level S0 (competitive storage); "
    "the part of a loss it clears is not drawn from the stocks",
    "switch months": "months a holder's buyers need to replace a lost supplier on the world "
    "market (find, qualify, contract); the lost tonnes are bought elsewhere at the world price "
    "after them (switch_months, 3, range 1-9; methods 6.2)",
    "unserved share": "the share of every buyer's demand the world market leaves unserved when "
    "the price that would clear it is above the cap (methods 6.3)",
    "supply response": "idle capacity outside the restricting country that restarts after a "
    "lead time and ramps up (gallium and germanium: from USGS capacity and the record)",
    "leakage": "the share of a restricted or embargoed flow that still reaches buyers through "
    "third countries (re-routing, smuggling)",
    "re-routing premium": "what an embargoed holder pays above the world price to buy through "
    "third countries, at most reroute_premium_max (+150%)",
    "import bill": "the extra cost of a price rise on the tonnes still bought abroad: "
    "(p - p0) x tonnes imported (expected_import_bill_usd)",
    "GDP downstream": "value added lost in the industries that use a material and their "
    "suppliers when they do not get it (unmet and destroyed tonnes), through the holder's "
    "input-output table, cheapest tonnes first (expected_gdp_downstream_usd; methods 6.9)",
    "usgs2024": "the loss counted with the structure of the USGS disruption model (OFR "
    "2024-1057): the market clears at the price and industries lose only the demand it "
    "destroys, through the input-output table (--loss-method usgs2024; methods 6.9)",
    "loss basis": "how a material's loss was counted: GDP through an input-output table, or "
    "value added per tonne unmet plus the use given up where the holder has no table",
    "balance": "how the holder's supply of a material was measured: usgs_salient (USGS "
    "published consumption), trade_content (production + imports - exports on the basis), "
    "eu_sourcing (EC 2023 sourcing shares), group_split (the group's balance x the element's "
    "share) or world_supply (world production x the holder's demand share, a proxy)",
    "critical": "EU definition (EC 2017, 2023): supply risk SR >= 1.0 and economic importance "
    "EI >= 2.8; a material without end-use shares is 'not assessed', never blank",
    "bottleneck": "the supply stage (mining or refining) with the highest supply risk for the "
    "holder; marked '*' in the assessment",
    "outage": "a month in which a using sector gets less than its share of demand by more than "
    "the outage threshold (half, by default): P(outage) is the share of runs with at least one",
    "avoided": "loss avoided by the reserve: the expected loss without the stock minus the "
    "expected loss with it, on the same simulated runs (USD)",
    "quota": "an export quota: a restricting country lets at most this share of its usual exports "
    "leave (scenario event export_quota)",
    "price cap": "a numerical guard on the price ratio (10x by default), not a market "
    "mechanism: every summary reports the share of runs that reached it "
    "(share_runs_at_price_cap)",
    "use given up": "the value of the use the price destroyed: the buyers' surplus lost minus "
    "the extra bill, under constant-elasticity demand (expected_use_given_up_usd)",
}


def lookup(term: str) -> dict[str, str]:
    """Definitions whose term matches ``term`` (case-insensitive, substring)."""
    t = term.lower()
    exact = {k: v for k, v in GLOSSARY.items() if k.lower() == t}
    return exact or {k: v for k, v in GLOSSARY.items() if t in k.lower()}


def terms_in(text: str) -> dict[str, str]:
    """The glossary terms that appear in ``text`` (for footnotes under a page or a table)."""
    import re

    return {
        k: v for k, v in GLOSSARY.items() if re.search(rf"(?<![\w]){re.escape(k)}(?![\w])", text)
    }
