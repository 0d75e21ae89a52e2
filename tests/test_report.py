"""`airace report OUT.html` on the bundled build, opened in headless Chromium (driven by playwright)."""

import datetime as dt
import os
import re
import shutil
import struct
import zlib

import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.commands import report as report_command
from pipelines.commands.report import TABLES
from pipelines.sources.curated import SOURCE_NAME as CURATED
from pipelines.sources.curated import curated_records
from tests.fixtures.sources.helpers import run_table
from warehouse import EventStore, WarehouseHome
from warehouse.build import refresh_and_publish
from warehouse.publishing import charts
from warehouse.publishing.timetravel import open_snapshot

runner = CliRunner()


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    store = EventStore(WarehouseHome.resolve(root / "warehouse").ensure(), lock_timeout_s=30)
    store.append(curated_records(), source=CURATED)
    run_table(store)
    run_table(store, "epoch-eci")
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
    # Nothing to fetch when opened: every script is inline (the Vega JavaScript once, then one
    # per chart), and no element loads a stylesheet, image or frame from anywhere.
    assert text.count("window.vegaEmbed=") == 1
    markup = re.sub(r"<script>.*?</script>", "<script></script>", text, flags=re.S)
    assert markup.count("<script></script>") == 1 + len(charts.CHARTS) == text.count("<script")
    assert not re.search(r"<(img|link|iframe|embed|object|source)\b", markup)
    # Every chart of the registry is embedded, each with zoom on its time axis.
    for name in charts.CHARTS:
        assert f"<div class='chart' id='chart-{name}'></div>" in text
        assert text.count(f"vegaEmbed('#chart-{name}'") == 1
    assert text.count('"bind": "scales"') == len(charts.CHARTS)
    assert "How many months behind?" in text and "Is China closing the gap in training compute?" in text


def _tables(text: str) -> list[tuple[list[str], list[list[str]]]]:
    """The report's HTML tables (after the scripts) as (headers, rows of cell texts)."""
    body = text[text.index("<body>") :]
    tables = []
    for table in re.findall(r"<table>(.*?)</table>", body, flags=re.S):
        headers = re.findall(r"<th>(.*?)</th>", table)
        rows = [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r"<tr>(<td.*?)</tr>", table)]
        tables.append((headers, rows))
    return tables


def test_the_report_s_tables_read_as_prose(report):
    tables = _tables(report.read_text())
    assert len(tables) == len(TABLES)
    for headers, rows in tables:
        assert rows, headers
        # Headers in words, not column names.
        assert all("_" not in header and header[0].isupper() for header in headers), headers
        for cell in (cell for row in rows for cell in row):
            # No raw floats ('1666.0', '1,666.0'), Python booleans or timestamps at midnight.
            assert not re.fullmatch(r"-?[\d,]+\.0", cell), cell
            assert cell not in ("True", "False", "None", "nan"), cell
            assert not re.search(r"\d{4}-\d\d-\d\d[ T]00:00", cell), cell
            # Large numbers have thousands separators (a year or an exponent excepted).
            if re.fullmatch(r"-?\d+(\.\d+)?", cell) and abs(float(cell)) >= 10_000:
                pytest.fail(f"{cell} without thousands separators")
    year_headers, year_rows = next(table for table in tables if table[0][0] == "Year")
    assert year_headers[0] == "Year" and all(re.fullmatch(r"\d{4}", row[0]) for row in year_rows)
    assert "Median lag (days)" in year_headers


@pytest.mark.parametrize(
    ("column", "value", "text"),
    [
        ("median_lag_days", 1666.0, "1,666"),
        ("median_lag_days", 534.5, "534.5"),
        ("launches", 12345, "12,345"),
        ("year", 2024, "2024"),
        ("current", False, "no"),
        ("complete", True, "yes"),
        ("quarter", dt.date(2025, 8, 1), "2025-Q3"),
        ("month", dt.date(2025, 11, 1), "2025-11"),
        ("launched_on", dt.date(2023, 3, 14), "2023-03-14"),
        ("hhi", float("nan"), "nan"),
        ("organizations", ["OpenAI", "Microsoft"], "OpenAI, Microsoft"),
        ("recorded_at", dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=2))), "2026-01-02 01:04 UTC"),
        ("recorded_at", None, "\u2014"),
    ],
)
def test_a_table_cell_reads_as_a_reader_writes_it(column, value, text):
    assert report_command._text(column, value) == text


def test_a_name_in_the_data_cannot_end_the_chart_s_script():
    import altair as alt

    chart = alt.Chart(alt.Data(values=[{"model": "</script><script>alert(1)</script>"}])).mark_point().encode(
        tooltip="model:N"
    )
    html = charts.to_html(chart, "hostile")
    assert html.count("</script>") == 1 and html.endswith("</script>")
    with pytest.raises(ValueError, match="element id"):
        charts.to_html(chart, "x'); alert(1); ('")


def _chromium() -> str:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing on CI: .ci/run installs it (apt-get install -y chromium)")
        pytest.skip("chromium is not installed (CI installs it: apt-get install -y chromium)")
    return chromium


def test_headless_chromium_draws_the_charts_with_tooltips_and_zoom(report, tmp_path):
    """The report opened from disk in Debian's chromium: every chart draws its marks, a point
    of the catch-up chart names its model on hover, a wheel zooms the time axis, and the page
    asks for nothing but its own file."""
    chromium = _chromium()
    try:
        from playwright import sync_api as playwright
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("playwright is missing on CI: it is a dev dependency (pip install -e '.[dev]')")
        pytest.skip("playwright is not installed (a dev dependency)")
    with open_snapshot(WarehouseHome.resolve(report.parent / "warehouse")) as con:
        step_models = {m for (m,) in con.execute("select model from marts.catch_up_lag").fetchall()}
    requests: list[str] = []
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-dev-shm-usage"])
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 1600})
            page.on("request", lambda request: requests.append(request.url))
            failures: list[str] = []
            page.on("pageerror", lambda error: failures.append(str(error)))
            page.goto(report.as_uri())
            for name in charts.CHARTS:
                # Drawn: an SVG with marks (paths or rects inside Vega's mark groups), not an error message.
                page.wait_for_selector(f"#chart-{name} svg g.mark-group", state="attached", timeout=30_000)
                marks = page.locator(f"#chart-{name} svg [class^='mark-'] path, #chart-{name} svg [class^='mark-'] rect")
                assert marks.count() > 5, name
            assert not failures, failures

            # Hover one point of the US-vs-China catch-up chart: the tooltip names that point's model.
            points = page.locator("#chart-catch_up_lag_us_china svg g.mark-symbol path")
            assert points.count() > 5
            point = points.nth(points.count() // 2)
            described = dict(
                part.split(": ", 1) for part in point.get_attribute("aria-label").split("; ") if ": " in part
            )
            model = described["model"]
            assert model in step_models
            point.hover()
            tooltip = page.locator("#vg-tooltip-element.visible")
            tooltip.wait_for(timeout=10_000)
            lines = [line.strip() for line in tooltip.inner_text().splitlines() if line.strip()]
            assert lines[lines.index("model") + 1] == model

            # A wheel over any chart zooms its time axis (the other ticks of a shorter period),
            # and every mark is clipped to the plot (none drawn over the axes).
            for name in charts.CHARTS:
                chart = page.locator(f"#chart-{name} svg")
                chart.scroll_into_view_if_needed()
                ticks = f"#chart-{name} svg .role-axis-label text"
                before = "|".join(page.locator(ticks).all_text_contents())
                box = chart.bounding_box()
                page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
                page.mouse.wheel(0, -600)
                page.wait_for_function(
                    "([ticks, before]) => [...document.querySelectorAll(ticks)].map(t => t.textContent).join('|') "
                    "!== before",
                    arg=[ticks, before],
                )
                marks = page.locator(f"#chart-{name} svg g.role-mark")
                assert marks.count() > 0 and marks.count() == page.locator(f"#chart-{name} svg g.role-mark[clip-path]").count()

            shot = tmp_path / "report.png"
            page.mouse.move(0, 0)
            page.screenshot(path=str(shot))
        finally:
            browser.close()
    assert requests and all(url.startswith("file://") for url in requests), requests
    width, height, bpp, rows = decode_png(shot.read_bytes())
    assert (width, height) == (1200, 1600)
    colours = {row[i : i + 3] for row in rows for i in range(0, len(row), bpp)}
    # A blank or text-only page has a handful of colours; rendered charts have thousands
    # (bars, lines, points and anti-aliased text in several hues).
    assert len(colours) > 1000, len(colours)

    def near(colour, target):
        return all(abs(a - b) <= 12 for a, b in zip(colour, target))

    # The chart hues themselves are on screen: Vega's default blue and orange.
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
    from warehouse.build import refresh
    from warehouse.publishing import charts

    append([launch("Solo", "2024-03-01")])
    refresh(store)
    with store.reader() as con:
        pngs = charts.render_all(con)
        pages = {name: charts.to_html(make(con), name) for name, (_, make) in charts.CHARTS.items()}
    assert set(pngs) == set(charts.CHARTS)
    assert all(png.startswith(b"\x89PNG") for png in pngs.values())
    assert all(f"id='chart-{name}'" in page for name, page in pages.items())



def test_the_report_says_where_each_source_s_coverage_ends(report):
    from warehouse.publishing import charts
    from warehouse.publishing.timetravel import open_snapshot

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
