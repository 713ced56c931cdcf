"""Loading the shipped tables, overlays, and every validation error path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

import critmat.data as cd
from critmat.data.loader import manifest
from critmat.data.schemas import SPECS, STATUSES

Overlay = Callable[[str, pd.DataFrame | str], Path]

PROD_HEADER = "material,stage,country,year,value,unit,basis,dataset,source,status,flag,notes\n"


def test_every_table_loads_with_its_manifest_row_count(ds: cd.Dataset) -> None:
    rows = manifest()
    assert set(rows) == set(SPECS)
    for name in SPECS:
        df = ds.table(name)
        assert len(df) == rows[name]["rows"], name
        assert list(df.columns) == SPECS[name].names, name


def test_every_row_has_source_and_known_status(ds: cd.Dataset) -> None:
    for name in SPECS:
        df = ds.table(name)
        assert (df["source"].astype(str).str.strip() != "").all(), name
        assert set(df["status"].astype(str)) <= STATUSES, name


def test_fact_tables_carry_key_unit_source_status(ds: cd.Dataset) -> None:
    for name in ("production", "prices", "holder_indicators", "intensities", "footprints"):
        cols = set(ds.table(name).columns)
        assert {"material", "year", "unit", "source", "status"} <= cols, name
    assert {"material", "stage", "country", "year"} <= set(ds.production.columns)


def test_seed_materials_are_all_in_the_catalogue(ds: cd.Dataset) -> None:
    seed = {
        "lithium",
        "nickel",
        "cobalt",
        "neodymium",
        "dysprosium",
        "terbium",
        "palladium",
        "platinum",
        "silicon",
        "gallium",
        "germanium",
        "graphite",
        "tungsten",
        "manganese",
        "vanadium",
        "niobium",
        "tantalum",
        "antimony",
        "chromium",
        "indium",
        "tin",
        "magnesium",
        "rare_earths",
    }
    m = ds.materials.set_index("material")
    assert seed <= set(m.index)
    groups = set(m.loc[sorted(seed), "group"])
    assert groups == {
        "energy-transition metals",
        "rare earths",
        "precious metals",
        "specialty alloys and silicon",
    }
    # every seed material has a storage class and its four storage properties
    st = ds.storage
    for mat in seed:
        props = set(st.loc[st["material"] == mat, "property"])
        assert {
            "oxidation_sensitivity",
            "moisture_sensitivity",
            "storage_conditions",
            "indicative_shelf_life_years",
        } <= props, mat


def test_holders_include_required_blocs(ds: cd.Dataset) -> None:
    h = ds.holders.set_index("holder")
    assert {"USA", "EU27", "JPN", "KOR", "CHN", "IND", "GBR"} <= set(h.index)
    members = h.loc["EU27", "members"].split(";")
    assert len(members) == 27 and "DEU" in members and "GBR" not in members


def test_derived_ree_elements_are_labelled(ds: cd.Dataset) -> None:
    ss = ds.supply_shares
    ss = ss[ss["dataset"].str.startswith("derived_ree_split")]
    for el in ("neodymium", "dysprosium", "terbium"):
        rows = ss[ss["material"] == el]
        assert len(rows) and set(rows["status"]) == {"derived"}
        assert (rows["notes"].str.len() > 20).all()


def test_resolve_names(ds: cd.Dataset) -> None:
    assert ds.resolve_material("Co") == "cobalt"
    assert ds.resolve_material("COBALT") == "cobalt"
    assert ds.resolve_material("graphite") == "graphite"
    assert ds.resolve_holder("eu27") == "EU27"
    with pytest.raises(cd.UnknownChoiceError, match=r"Valid choices: .*cobalt"):
        ds.resolve_material("cobolt")
    with pytest.raises(cd.UnknownChoiceError, match="EU27"):
        ds.resolve_holder("Atlantis")
    with pytest.raises(cd.UnknownChoiceError, match="production"):
        ds.table("productions")


# Overlay: replacing and adding rows -----------------------------------------------------------
def test_overlay_replaces_and_adds_rows(overlay: Overlay) -> None:
    d = overlay(
        "production.csv",
        PROD_HEADER
        + "cobalt,mining,COD,2024,1,t,Co,usgs_mcs2026,my survey,published,,\n"
        + "cobalt,mining,ZMB,2030,5,t,Co,my_projection,my survey,assumption,,\n",
    )
    ds = cd.load(d)
    p = ds.production
    cod = p[
        (p.material == "cobalt")
        & (p.country == "COD")
        & (p.year == 2024)
        & (p.dataset == "usgs_mcs2026")
    ]
    assert cod["value"].tolist() == [1.0] and cod["source"].tolist() == ["my survey"]
    assert len(p) == manifest()["production"]["rows"] + 1
    assert ((p.country == "ZMB") & (p.year == 2030)).sum() == 1


def test_overlay_from_environment(overlay: Overlay, monkeypatch: pytest.MonkeyPatch) -> None:
    d = overlay(
        "control.csv",
        "material,stage,country,controller,share,share_bound,year,basis,source,status,notes\n"
        "lithium,mining,AUS,CHN,0.2,,2024,mine output,my estimate,assumption,test\n",
    )
    monkeypatch.setenv("CRITMAT_DATA", str(d))
    ds = cd.load()
    assert "AUS" in set(ds.control["country"])
    assert cd.load(use_env=False).control["country"].tolist().count("AUS") == 0


def test_overlay_parquet(overlay: Overlay, ds: cd.Dataset) -> None:
    extra = ds.governance.head(3).assign(value=[0.1, 0.2, 0.3])
    d = overlay("governance.parquet", extra)
    g = cd.load(d).governance
    key = extra[["country", "year"]].iloc[0]
    hit = g[(g.country == key.country) & (g.year == key.year)]
    assert hit["value"].tolist() == [0.1]


# Overlay: every error path --------------------------------------------------------------------
BAD_PRODUCTION = [
    ("cobalt,mining,COD,2024,abc,t,Co,x,src,published,,\n", 2, "value", "not a float number"),
    ("cobalt,mining,COD,20x4,1,t,Co,x,src,published,,\n", 2, "year", "not a int number"),
    ("cobalt,mining,COD,2024.5,1,t,Co,x,src,published,,\n", 2, "year", "not a int number"),
    ("cobalt,mining,COD,2024,1,t,Co,x,src,rumour,,\n", 2, "status", "not one of"),
    ("cobalt,drilling,COD,2024,1,t,Co,x,src,published,,\n", 2, "stage", "not one of"),
    ("cobalt,mining,COD,2024,-5,t,Co,x,src,published,,\n", 2, "value", "outside the range"),
    ("cobalt,mining,COD,2024,1,t,Co,x,,published,,\n", 2, "source", "a value is required"),
    ("cobalt,mining,COD,1800,1,t,Co,x,src,published,,\n", 2, "year", "outside the range"),
]


@pytest.mark.parametrize(("row", "line", "column", "reason"), BAD_PRODUCTION)
def test_malformed_cell_is_refused_with_file_line_column(
    overlay: Overlay, row: str, line: int, column: str, reason: str
) -> None:
    d = overlay("production.csv", PROD_HEADER + row)
    with pytest.raises(cd.DatasetError) as err:
        cd.load(d)
    issue = err.value.issues[0]
    assert issue.file.endswith("production.csv")
    assert (issue.line, issue.column) == (line, column)
    assert reason in issue.message
    assert "nothing was loaded" in str(err.value)


def test_error_line_points_at_the_bad_row(overlay: Overlay) -> None:
    good = "cobalt,mining,COD,2024,1,t,Co,x,src,published,,\n"
    bad = "nickel,mining,IDN,2024,lots,t,Ni,x,src,published,,\n"
    d = overlay("production.csv", PROD_HEADER + good + good.replace("COD", "ZMB") + bad)
    with pytest.raises(cd.DatasetError) as err:
        cd.load(d)
    assert [(i.line, i.column) for i in err.value.issues] == [(4, "value")]
    assert "'lots'" in err.value.issues[0].message


def test_duplicate_keys_refused(overlay: Overlay) -> None:
    row = "cobalt,mining,COD,2024,1,t,Co,x,src,published,,\n"
    d = overlay("production.csv", PROD_HEADER + row + row)
    with pytest.raises(cd.DatasetError, match="duplicate key"):
        cd.load(d)


def test_missing_and_unknown_columns(overlay: Overlay) -> None:
    d = overlay("production.csv", "material,stage,colour\ncobalt,mining,blue\n")
    with pytest.raises(cd.DatasetError) as err:
        cd.load(d)
    msgs = {(i.column, i.message.split(" (")[0]) for i in err.value.issues}
    assert ("country", "required column is missing") in msgs
    assert ("colour", "unknown column") in msgs


def test_unknown_table_and_extension(overlay: Overlay) -> None:
    d = overlay("prodution.csv", PROD_HEADER)
    overlay("notes.txt", "hello")
    with pytest.raises(cd.DatasetError) as err:
        cd.load(d)
    text = str(err.value)
    assert "'prodution' is not a dataset table; valid names: " in text and "production" in text
    assert "notes.txt" in text and "not a .csv or .parquet" in text


def test_unreadable_parquet(overlay: Overlay) -> None:
    d = overlay("prices.parquet", "this is not parquet")
    with pytest.raises(cd.DatasetError, match="cannot be read"):
        cd.load(d)


def test_bad_boolean(overlay: Overlay) -> None:
    d = overlay(
        "hs_codes.csv",
        "hs6,material,description,in_trade_table,source,status,notes\n"
        "999999,cobalt,x,maybe,src,published,\n",
    )
    with pytest.raises(cd.DatasetError, match="not a boolean"):
        cd.load(d)


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(cd.DatasetError, match="does not exist"):
        cd.load(tmp_path / "nope")


def test_one_bad_file_refuses_the_whole_overlay(overlay: Overlay) -> None:
    d = overlay(
        "control.csv",
        "material,stage,country,controller,share,share_bound,year,basis,source,status,notes\n"
        "lithium,mining,AUS,CHN,0.2,,2024,mine output,my estimate,assumption,\n",
    )
    overlay("production.csv", PROD_HEADER + "cobalt,mining,COD,2024,x,t,Co,x,s,published,,\n")
    with pytest.raises(cd.DatasetError):
        cd.load(d)


def test_shared_hs_headings_map_to_the_group(ds: cd.Dataset) -> None:
    t = ds.trade
    for code in ("284690", "280530"):
        assert set(t.loc[t["hs6"] == code, "material"].astype(str)) == {"rare_earths"}
