"""`airace report OUT.html` on the bundled build, opened in headless Chromium."""

import os
import re
import shutil
import struct
import subprocess
import zlib

import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.sources import epoch, epoch_eci
from pipelines.sources.curated import SOURCE_NAME as CURATED
from pipelines.sources.curated import curated_records
from warehouse import EventStore, WarehouseHome
from warehouse.build import refresh_and_publish

runner = CliRunner()


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    store = EventStore(WarehouseHome.resolve(root / "warehouse").ensure(), lock_timeout_s=30)
    store.append(curated_records(), source=CURATED)
    epoch.ingest_location(store)
    epoch.ingest_location(store, table=epoch_eci.CAPABILITIES)
    refresh_and_publish(store)
    out = root / "report.html"
    result = runner.invoke(app, ["report", str(out), "--home", str(store.home.root)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out


def decode_png(data: bytes) -> tuple[int, int, int, list[bytes]]:
    """A small PNG reader (8-bit RGB/RGBA, not interlaced): width, height, bytes per pixel, rows."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunk = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat.append(chunk)
        elif kind == b"IEND":
            break
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and interlace == 0 and colour in (2, 6), header
    bpp = 3 if colour == 2 else 4
    stride = width * bpp
    raw = zlib.decompress(b"".join(idat))
    rows, prev = [], bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        if kind == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif kind == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prev))
        elif kind == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
        elif kind == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b, c = prev[i], (prev[i - bpp] if i >= bpp else 0)
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, bpp, rows


def test_the_report_is_self_contained(report):
    text = report.read_text()
    images = re.findall(r"<img [^>]*src='([^']*)'", text)
    assert len(images) == 5 and all(src.startswith("data:image/png;base64,") for src in images)
    # Nothing to fetch when opened: no scripts, stylesheets or images from elsewhere.
    assert "<script" not in text and not re.search(r"(src|href)=['\"]?(https?:)?//", text)
    assert "How many months behind?" in text and "Is China closing the gap in training compute?" in text
    assert "<table>" in text


def test_headless_chromium_shows_the_charts(report, tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing on CI: .ci/run installs it (apt-get install -y chromium)")
        pytest.skip("chromium is not installed (CI installs it: apt-get install -y chromium)")
    shot = tmp_path / "report.png"
    subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=1200,1600",
         report.as_uri()],
        check=True, capture_output=True, timeout=120,
    )
    width, height, bpp, rows = decode_png(shot.read_bytes())
    assert (width, height) == (1200, 1600)
    colours = {row[i : i + 3] for row in rows for i in range(0, len(row), bpp)}
    # A blank or text-only page has a handful of colours; three rendered charts have thousands
    # (bars, lines, points and anti-aliased text in several hues).
    assert len(colours) > 1000, len(colours)
    # The chart hues themselves are on screen: Vega's default blue and orange.
    def near(colour, target):
        return all(abs(a - b) <= 12 for a, b in zip(colour, target))
    assert any(near(c, (76, 120, 168)) for c in colours) and any(near(c, (245, 133, 24)) for c in colours)


def test_the_dagster_mart_assets_carry_the_charts(home):
    import dagster as dg

    from pipelines.definitions import defs
    from pipelines.defs.jobs import BUILD_JOB_NAME

    result = defs().resolve_job_def(BUILD_JOB_NAME).execute_in_process(instance=dg.DagsterInstance.ephemeral())
    assert result.success
    charts = {
        tuple(event.asset_key.path): {k: v for k, v in event.materialization.metadata.items() if k.startswith("chart_")}
        for event in result.get_asset_materialization_events()
    }
    for key, name in [(("marts", "releases_monthly_by_country"), "chart_launches_by_country"),
                      (("marts", "catch_up_lag"), "chart_catch_up_lag_us_china"),
                      (("marts", "concentration"), "chart_concentration"),
                      (("marts", "capability_frontier"), "chart_capability_frontier"),
                      (("marts", "capability_gap"), "chart_capability_gap_months")]:
        value = charts[key][name]
        assert isinstance(value, dg.MarkdownMetadataValue)
        assert value.md_str.startswith(f"![{name.removeprefix('chart_')}](data:image/png;base64,iVBORw0KGgo")


def test_charts_of_an_almost_empty_warehouse_still_render(store, append):
    """A fresh warehouse with one launch: every chart renders (a 'no data yet' picture where empty)."""
    from tests.conftest import launch
    from warehouse import charts
    from warehouse.build import refresh

    append([launch("Solo", "2024-03-01")])
    refresh(store)
    with store.reader() as con:
        pngs = charts.render_all(con)
    assert set(pngs) == set(charts.CHARTS)
    assert all(png.startswith(b"\x89PNG") for png in pngs.values())



def test_the_report_says_where_each_source_s_coverage_ends(report):
    from warehouse import charts
    from warehouse.timetravel import open_snapshot

    text = report.read_text()
    rows = {m.group(1): m.group(0) for m in re.finditer(r"<tr><td>([a-z-]+)</td>.*?</tr>", text)}
    # Epoch's table is complete through its last date; the curated events never are.
    assert "<td>whole_table</td><td>2025-11-13</td>" in rows["epoch-ai"]
    assert "<td>selection</td><td>&mdash;</td>" in rows["curated"]
    # The launches chart shades every month from November 2025 (it ends after the 13th) on.
    with open_snapshot(WarehouseHome.resolve(report.parent / "warehouse")) as con:
        spec = charts.launches_by_country(con).to_dict()
        last_month = con.execute("select max(month) from marts.releases_monthly_by_country").fetchall()[0][0]
    (bands,) = [layer for layer in spec["layer"] if layer["mark"]["type"] == "rect"]
    shaded = [row["period_start"] for row in spec["datasets"][bands["data"]["name"]]]
    assert shaded[0].startswith("2025-11-01") and shaded[-1].startswith(last_month.isoformat())
    assert len(shaded) == (last_month.year - 2025) * 12 + last_month.month - 10
