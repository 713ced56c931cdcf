"""Build the dashboard's world map outline (src/critmat/web/static/world.json) from Natural Earth.

Natural Earth 1:110m admin-0 countries ("naturalearth_lowres", public domain; "Made with Natural
Earth", naturalearthdata.com), as shipped in the pyogrio wheel's test fixtures
(pyogrio/tests/fixtures/naturalearth_lowres/). Run once by a developer:

    python tools/make_world_map.py DIR_WITH_naturalearth_lowres.shp_AND_.dbf

The shapefile and dBase formats are read directly (ESRI Shapefile Technical Description, 1998;
polygon shape type 5) so that no GIS library is needed. Output: {"source": ..., "countries":
{ISO3: {"name": ..., "rings": [[[lon, lat], ...], ...]}}}, coordinates rounded to 0.1 degree.
"""

from __future__ import annotations

import json
import struct
import sys
from pathlib import Path

#: Natural Earth leaves some ISO codes as -99; these are the codes by name
FIX = {"France": "FRA", "Norway": "NOR", "Kosovo": "XKX", "N. Cyprus": "CYN", "Somaliland": "SOL"}


def read_dbf(path: Path) -> list[dict[str, str]]:
    data = path.read_bytes()
    n, header, rec_len = struct.unpack("<xxxxIHH", data[:12])
    fields, off = [], 32
    while data[off] != 0x0D:
        name = data[off : off + 11].split(b"\0")[0].decode()
        fields.append((name, data[off + 16]))
        off += 32
    rows = []
    for i in range(n):
        rec = data[header + i * rec_len : header + (i + 1) * rec_len]
        pos, row = 1, {}
        for name, length in fields:
            row[name] = rec[pos : pos + length].decode("utf-8", "replace").strip()
            pos += length
        rows.append(row)
    return rows


def read_polygons(path: Path) -> list[list[list[tuple[float, float]]]]:
    data = path.read_bytes()
    off = 100
    shapes: list[list[list[tuple[float, float]]]] = []
    while off < len(data):
        _, length = struct.unpack(">II", data[off : off + 8])
        body = data[off + 8 : off + 8 + 2 * length]
        off += 8 + 2 * length
        if struct.unpack("<i", body[:4])[0] != 5:
            shapes.append([])
            continue
        n_parts, n_points = struct.unpack("<ii", body[36:44])
        parts = list(struct.unpack(f"<{n_parts}i", body[44 : 44 + 4 * n_parts]))
        pts_off = 44 + 4 * n_parts
        pts = [struct.unpack("<dd", body[pts_off + 16 * k : pts_off + 16 * k + 16])
               for k in range(n_points)]  # fmt: skip
        bounds = [*parts, n_points]
        shapes.append([pts[bounds[j] : bounds[j + 1]] for j in range(n_parts)])
    return shapes


def main(src: str) -> None:
    d = Path(src)
    rows = read_dbf(d / "naturalearth_lowres.dbf")
    shapes = read_polygons(d / "naturalearth_lowres.shp")
    out: dict[str, dict[str, object]] = {}
    for row, rings in zip(rows, shapes, strict=True):
        iso = row.get("iso_a3", "")
        iso = FIX.get(row.get("name", ""), iso) if iso in ("", "-99") else iso
        if not iso or iso == "-99" or not rings:
            continue
        clean = []
        for ring in rings:
            r: list[list[float]] = []
            for x, y in ring:
                p = [round(x, 1), round(y, 1)]
                if not r or r[-1] != p:
                    r.append(p)
            if len(r) >= 4:
                clean.append(r)
        out[iso] = {"name": row.get("name", iso), "rings": clean}
    doc = {
        "source": "Natural Earth 1:110m admin-0 countries (public domain), naturalearthdata.com; "
        "made with Natural Earth; converted by tools/make_world_map.py",
        "countries": out,
    }
    target = Path(__file__).resolve().parents[1] / "src/critmat/web/static/world.json"
    target.write_text(json.dumps(doc, separators=(",", ":")))
    print(f"{len(out)} countries -> {target} ({target.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main(sys.argv[1])
