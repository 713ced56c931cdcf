"""The US input-output tables (BEA 2017 benchmark, detail level) and the map from materials to the
BEA industries that use them.

- ``io_industries``: per BEA detail industry, total industry output (row T008 of the Use table)
  and value added (row T006; its parts V00100-V00300 add up to it), USD million, producers'
  prices, before redefinitions. Value added over all industries = US GDP 2017.
- ``io_requirements``: BEA's published industry-by-industry total requirements (the Leontief
  inverse L = (I - A)^-1), long: the output of ``industry`` needed per dollar of final demand
  for ``using_industry``; zero cells are left out; the T009 total row is not kept (it is a column
  sum).
- ``material_industries``: for each material, the BEA commodity that carries it and the BEA
  industries of its USGS end uses with the end-use share where USGS prints one; the BEA codes
  are the project's judgement (``status`` assumption, ``mapping_confidence``); germanium's
  shares, which USGS MCS does not print, come from OFR 2024-1057 as quoted.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

BEA_USE = "BEA 2017 benchmark detail Use table, before redefinitions, producers' prices"
BEA_TR = "BEA 2017 benchmark industry-by-industry total requirements (IxI_TR_2017_PRO_Det)"


def io_industries(raw: Path) -> pd.DataFrame:
    use = pd.read_csv(raw / "bea_io_detail_2017_use.csv", dtype={"col_code": str, "row_code": str})
    rows = use[use["row_code"].isin(["T008", "T006"])]
    wide = rows.pivot_table(index=["col_code", "col_name"], columns="row_code", values="value")
    wide = wide.reset_index()
    tr = pd.read_csv(raw / "bea_io_detail_2017_ixi_total_requirements.csv", nrows=0)
    meta = ("row_code", "row_name", "source", "status", "licence")
    industries = [c for c in tr.columns if c not in meta]
    wide = wide[wide["col_code"].isin(industries)]
    source = rows["source"].iloc[0]
    return pd.DataFrame(
        {
            "region": "USA",
            "year": 2017,
            "industry": wide["col_code"].astype(str).values,
            "name": wide["col_name"].astype(str).values,
            "output_musd": wide["T008"].astype(float).values,
            "value_added_musd": wide["T006"].fillna(0.0).astype(float).values,
            "unit": "USD million",
            "source": f"{BEA_USE}; {source}",
            "status": "secondary",
            "notes": "output: row T008 (total industry output); value added: row T006",
        }
    ).reset_index(drop=True)


def io_output_series(raw: Path) -> pd.DataFrame:
    """Gross output per BEA detail industry and year, 2017 on (USD million, current): the factor
    that brings a 2017 table's losses to a later base year's size and prices."""
    go = pd.read_csv(raw / "bea_gdp_by_industry_va_go_1997_2023.csv", dtype={"industry_code": str})
    go = go[(go["level"] == "detail") & (go["measure"] == "gross_output") & (go["year"] >= 2017)]
    go = go.dropna(subset=["value"])
    return pd.DataFrame(
        {
            "region": "USA",
            "industry": go["industry_code"].astype(str).values,
            "year": go["year"].astype(int).values,
            "output_musd": go["value"].astype(float).values,
            "unit": "USD million, current",
            "source": go["source"].astype(str).values,
            "status": "secondary",
            "notes": "",
        }
    ).reset_index(drop=True)


def io_requirements(raw: Path) -> pd.DataFrame:
    tr = pd.read_csv(raw / "bea_io_detail_2017_ixi_total_requirements.csv", dtype={"row_code": str})
    tr = tr[tr["row_code"] != "T009"]
    meta = ["row_name", "source", "status", "licence"]
    long = tr.drop(columns=[c for c in meta if c in tr.columns]).melt(
        id_vars="row_code", var_name="using_industry", value_name="value"
    )
    long = long[long["value"].astype(float) != 0.0]
    return pd.DataFrame(
        {
            "region": "USA",
            "year": 2017,
            "industry": long["row_code"].astype(str).values,
            "using_industry": long["using_industry"].astype(str).values,
            "value": long["value"].astype(float).values,
            "source": f"{BEA_TR}, via GitHub tonylzgui/Shapiro-by-Tony raw_bea_data @74c8cdd",
            "status": "secondary",
        }
    ).reset_index(drop=True)


#: OFR 2024-1057 germanium end uses (percent), as quoted in ge_ta_end_uses_dy_tb_supply_shares.csv
GE_SHARES = {
    "fiber optics": 40.0,
    "infrared optics": 30.0,
    "semiconductor applications": 20.0,
}


def material_industries(raw: Path) -> pd.DataFrame:
    m = pd.read_csv(raw / "material_to_bea_industry_map.csv", dtype={"bea_detail_code": str})
    m = m[m["bea_detail_code"].fillna("").astype(str) != ""].copy()
    share = (m["share_pct"].astype(float) / 100.0).tolist()
    share_source = m["share_source"].fillna("").astype(str).tolist()
    share_status = m["share_status"].fillna("").astype(str).tolist()
    for i, (mat_id, role, use) in enumerate(
        zip(m["material"], m["role"], m["end_use"], strict=True)
    ):
        if mat_id != "germanium" or role != "end use":
            continue
        for key, pct in GE_SHARES.items():
            if str(use).startswith(key):
                share[i] = pct / 100.0
                share_source[i] = (
                    "USGS Open-File Report 2024-1057 (germanium end uses), as quoted in "
                    "ge_ta_end_uses_dy_tb_supply_shares.csv"
                )
                share_status[i] = "secondary"
    mat = m["material"].replace({"rare earths": "rare_earths"})
    return pd.DataFrame(
        {
            "material": mat.values,
            "role": m["role"].str.replace(" ", "_").values,
            "end_use": m["end_use"].astype(str).values,
            "industry": m["bea_detail_code"].astype(str).values,
            "industry_name": m["bea_detail_name"].astype(str).values,
            "share": share,
            "share_scope": m["share_scope"].fillna("").astype(str).values,
            "share_source": share_source,
            "share_status": share_status,
            "mapping_confidence": m["mapping_confidence"].astype(str).values,
            "source": m["source"].astype(str).values,
            "status": "assumption",
            "notes": m["notes"].fillna("").astype(str).values,
        }
    ).reset_index(drop=True)
