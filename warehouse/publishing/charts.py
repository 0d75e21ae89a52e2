"""Charts of the pace-of-competition marts: DuckDB connection in, altair chart or PNG out.

Pure functions over a connection that holds the marts (the live warehouse, the
analysts' snapshot or an as-of rebuild), so the Dagster UI, `airace report` and an
analyst's notebook draw the same pictures. Each chart goes out one of two ways:
`to_png` (vl-convert, no browser, no network) for the Dagster asset metadata, and
`to_html` for a page that draws it in the browser, with tooltips and zoom on time,
from the Vega JavaScript inlined once per page (`javascript()`), so nothing is fetched.
"""

from __future__ import annotations

import base64
import functools
import json
import re
from collections.abc import Callable

import altair as alt
import duckdb
import vl_convert

# Before 2015 there are too few launches a month for a monthly picture to say much.
SINCE = "2015-01-01"
WIDTH = 640
HEIGHT = 260


def _no_data(title: str) -> alt.Chart:
    """What a chart shows before there is anything to draw (vl-convert cannot size an empty chart)."""
    return (
        alt.Chart(alt.Data(values=[{"message": "no data yet"}]), title=title)
        .mark_text(size=16)
        .encode(text="message:N")
        .properties(width=WIDTH, height=HEIGHT)
    )


INCOMPLETE_NOTE = "shaded: past every complete source's coverage (core.source_coverage): counts there are partial"


def _incomplete_periods(con: duckdb.DuckDBPyConnection, query: str, params: list) -> alt.Chart | None:
    """Grey bands over the periods a mart marks incomplete (`complete` false), so a drop or
    a spike there is not read as the race slowing down or concentrating: the query gives
    each such period's start and end."""
    frame = con.sql(query, params=params).pl()
    if frame.is_empty():
        return None
    return (
        alt.Chart(frame)
        .mark_rect(color="#999999", opacity=0.25)
        .encode(x="period_start:T", x2="period_end:T", tooltip=[alt.Tooltip("period_start:T", title="incomplete from")])
    )


def _with_bands(chart: alt.Chart, bands: alt.Chart | None) -> alt.Chart | alt.LayerChart:
    return chart if bands is None else alt.layer(bands, chart)


def launches_by_country(con: duckdb.DuckDBPyConnection, since: str = SINCE) -> alt.Chart | alt.LayerChart:
    """Model launches per month, by the developers' country (the four largest, the rest as 'other')."""
    frame = con.sql(
        """with top as (
               select country from marts.releases_monthly_by_country
               where month >= ?::date group by country order by sum(launches) desc, country limit 4
           )
           select month, case when country in (select country from top) then country else 'other' end as country,
                  sum(launches)::integer as launches
           from marts.releases_monthly_by_country where month >= ?::date
           group by all order by month, country""",
        params=[since, since],
    ).pl()
    title = "Model launches per month, by country of the developers"
    if frame.is_empty():
        return _no_data(title)
    bars = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("yearmonth(month):T", title=None),
            y=alt.Y("sum(launches):Q", title="launches"),
            color=alt.Color("country:N", title="country"),
            tooltip=[alt.Tooltip("yearmonth(month):T", title="month"), "country:N", "launches:Q"],
        )
    )
    bands = _incomplete_periods(
        con,
        """select distinct month as period_start, (month + interval 1 month)::date as period_end
           from marts.releases_monthly_by_country where month >= ?::date and not complete order by 1""",
        [since],
    )
    return _with_bands(bars, bands).properties(
        title=alt.Title(title, subtitle=INCOMPLETE_NOTE if bands is not None else ""), width=WIDTH, height=HEIGHT
    )


def catch_up_lag(
    con: duckdb.DuckDBPyConnection, comparison: str = "us_vs_china", leader: str = "US", since: str = "2010-01-01"
) -> alt.Chart:
    """Days until the rival matched each leading frontier step; open steps drawn at their age so far."""
    frame = con.sql(
        """select step_on, model, training_compute_flop, caught_up_by_model,
                  coalesce(lag_days, open_days) as days,
                  case when caught_up then 'caught up after' else 'still open for (at least)' end as status
           from marts.catch_up_lag
           where comparison = ? and step_group = ? and step_leads and step_on >= ?::date
           order by step_on""",
        params=[comparison, leader, since],
    ).pl()
    rival = {"US": "China", "China": "US", "closed": "open weights", "open weights": "closed"}.get(leader, "rivals")
    title = f"Days until {rival} matched each {leader} training-compute frontier step"
    if frame.is_empty():
        return _no_data(title)
    return (
        alt.Chart(frame, title=title)
        .mark_point(size=80, filled=True)
        .encode(
            x=alt.X("step_on:T", title="frontier step"),
            y=alt.Y("days:Q", title="days"),
            color=alt.Color("status:N", title=None, scale=alt.Scale(range=["#1f77b4", "#d62728"])),
            shape=alt.Shape("status:N", title=None),
            tooltip=[
                alt.Tooltip("model:N", title="model"),
                alt.Tooltip("step_on:T", title="frontier step on"),
                alt.Tooltip("training_compute_flop:Q", title="training compute (FLOP)", format=".2e"),
                alt.Tooltip("days:Q", title="days", format=","),
                alt.Tooltip("status:N", title="status"),
                alt.Tooltip("caught_up_by_model:N", title="matched by"),
            ],
        )
        .properties(width=WIDTH, height=HEIGHT)
    )


def concentration(con: duckdb.DuckDBPyConnection, since: str = SINCE) -> alt.Chart | alt.LayerChart:
    """The Herfindahl-Hirschman index of launches per quarter, across labs, groups and countries.

    Only quarters with enough launches for the index to mean something are drawn (see
    `enough_launches` in marts.concentration: a quarter with one launch reads 10,000)."""
    # (`run` numbers the stretches of consecutive quarters drawn: a line joins the quarters
    # of one stretch only, never across a quarter left out)
    frame = con.sql(
        """unpivot (select * from (
                        select quarter,
                               any_value(hhi_organizations) filter (where level = 'lab') as labs,
                               any_value(hhi_organizations) filter (where level = 'group') as "groups",
                               any_value(hhi_countries) as countries,
                               bool_and(enough_launches) as enough_launches,
                               count(*) filter (where not bool_and(enough_launches)) over (order by quarter) as run
                        from marts.concentration where quarter >= ?::date group by quarter)
                    where enough_launches)
           on labs, "groups", countries into name across value hhi
           order by quarter, across""",
        params=[since],
    ).pl()
    title = "Concentration of launches per quarter (HHI, 0-10,000)"
    if frame.is_empty():
        return _no_data(title)
    lines = (
        alt.Chart(frame)
        .mark_line(point=True)
        .encode(
            x=alt.X("quarter:T", title=None),
            y=alt.Y("hhi:Q", title="HHI"),
            color=alt.Color("across:N", title="across"),
            detail="run:N",
            tooltip=["quarter:T", "across:N", alt.Tooltip("hhi:Q", format=".0f")],
        )
    )
    bands = _incomplete_periods(
        con,
        """select quarter as period_start, (quarter + interval 3 month)::date as period_end
           from marts.concentration where quarter >= ?::date and not complete and enough_launches order by 1""",
        [since],
    )
    subtitle = ["quarters with fewer than 10 launches are left out"] + ([INCOMPLETE_NOTE] if bands is not None else [])
    return _with_bands(lines, bands).properties(
        title=alt.Title(title, subtitle=subtitle), width=WIDTH, height=HEIGHT
    )


# The capability frontier's groups drawn, as (group_kind, group_name, label).
CAPABILITY_SERIES = (("country", "US", "US"), ("country", "CN", "China"), ("access", "open weights", "open weights"))
# The gaps drawn, as (comparison, leader, follower, label).
CAPABILITY_GAPS = (
    ("us_vs_china", "US", "China", "China behind the US"),
    ("open_vs_closed", "closed", "open weights", "open weights behind closed"),
)


def capability_frontier(con: duckdb.DuckDBPyConnection, index: str = "ECI") -> alt.Chart:
    """The best capability-index score to date of US models, Chinese models and open-weights
    models: a step line per group, a point at each step naming the model that set it."""
    series = ", ".join(f"('{kind}', '{name}', '{label}')" for kind, name, label in CAPABILITY_SERIES)
    frame = con.sql(
        f"""with series(group_kind, group_name, label) as (values {series}),
           frontier as (
               select s.label, f.* from marts.capability_frontier f join series s using (group_kind, group_name)
               where f.index_name = ?
           ),
           steps as (
               select distinct label, held_since as day, best_score as score,
                      coalesce(model_name, model_version) as model, model_version
               from frontier
           ),
           last_day as (select max(last_released_on) as day from marts.capability_last_release__state('infinity'))
           -- (each line carried on to the last scored release, with no point there)
           select label as "group", day, score, model, model_version, true as is_step from steps
           union all
           select label, (select day from last_day), arg_max(best_score, month), null, null, false
           from frontier group by label
           order by "group", day""",
        params=[index],
    ).pl()
    title = f"Capability frontier ({index}, Epoch AI's Capabilities Index): best score to date"
    if frame.is_empty():
        return _no_data(title)
    base = alt.Chart(frame, title=title).encode(
        x=alt.X("day:T", title=None),
        y=alt.Y("score:Q", title=f"{index} score", scale=alt.Scale(zero=False)),
        color=alt.Color("group:N", title=None),
    )
    steps = base.transform_filter("datum.is_step")
    return (
        alt.layer(
            base.mark_line(interpolate="step-after"),
            steps.mark_point(filled=True, size=40).encode(
                tooltip=["group:N", "model:N", "model_version:N", alt.Tooltip("score:Q", format=".1f"), "day:T"]),
            steps.mark_text(align="left", baseline="bottom", dx=3, dy=-2, fontSize=8, angle=340).encode(text="model:N"),
        )
        .properties(width=WIDTH, height=HEIGHT + 160)
    )


def capability_gap_months(con: duckdb.DuckDBPyConnection, index: str = "ECI") -> alt.Chart:
    """How many months behind the follower is each month: the time since the leader first
    reached the follower's best (no point where the follower was ahead)."""
    gaps = ", ".join(f"('{c}', '{leader}', '{follower}', '{label}')" for c, leader, follower, label in CAPABILITY_GAPS)
    frame = con.sql(
        f"""with gaps(comparison, leader, follower, label) as (values {gaps})
           select g.label as gap, c.measured_on, c.gap_months, c.gap_days, c.follower_model_name as follower_best,
                  c.leader_model_name as leader_model, c.leader_reached_on,
                  c.gap_is_lower_bound as lower_bound
           from marts.capability_gap c join gaps g using (comparison, leader, follower)
           where c.row_kind = 'month' and c.index_name = ?
           order by gap, measured_on""",
        params=[index],
    ).pl()
    title = f"Months behind on the capability index ({index}): time since the leader first reached the follower's best"
    if frame.is_empty():
        return _no_data(title)
    return (
        alt.Chart(frame, title=title)
        .mark_line(point=True)
        .encode(
            x=alt.X("measured_on:T", title=None),
            y=alt.Y("gap_months:Q", title="months behind"),
            color=alt.Color("gap:N", title=None),
            tooltip=["gap:N", "measured_on:T", alt.Tooltip("gap_months:Q", format=".1f"), "follower_best:N",
                     "leader_model:N", "leader_reached_on:T", "lower_bound:N"],
        )
        .properties(width=WIDTH, height=HEIGHT)
    )


# Which chart belongs to which mart: the Dagster asset of that mart shows it.
CHARTS: dict[str, tuple[str, Callable[[duckdb.DuckDBPyConnection], alt.Chart | alt.LayerChart]]] = {
    "launches_by_country": ("marts.releases_monthly_by_country", launches_by_country),
    "catch_up_lag_us_china": ("marts.catch_up_lag", catch_up_lag),
    "concentration": ("marts.concentration", concentration),
    "capability_frontier": ("marts.capability_frontier", capability_frontier),
    "capability_gap_months": ("marts.capability_gap", capability_gap_months),
}


def to_png(chart: alt.Chart | alt.LayerChart, scale: float = 1.5) -> bytes:
    return vl_convert.vegalite_to_png(chart.to_json(), scale=scale)


def to_svg(chart: alt.Chart | alt.LayerChart) -> str:
    return vl_convert.vegalite_to_svg(chart.to_json())


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def markdown_image(png: bytes, alt_text: str) -> str:
    """Markdown that shows the PNG inline (the Dagster UI renders data: URIs in md metadata)."""
    return f"![{alt_text}]({data_uri(png)})"


def render_all(con: duckdb.DuckDBPyConnection) -> dict[str, bytes]:
    """Every chart in CHARTS as PNG bytes, by chart name."""
    return {name: to_png(make(con)) for name, (_, make) in CHARTS.items()}


# How vega-embed draws a chart in a page: SVG (marks a test or a reader can inspect),
# no "..." menu (its editor links would leave the page), tooltips from the marks'
# tooltip encodings (vega-embed's own tooltip handler, bundled).
EMBED_OPTIONS = {"actions": False, "renderer": "svg", "tooltip": True}
# Zoom and pan on time only: a wheel or a drag rescales the time axis, the values keep theirs.
ZOOM_ON_TIME = {"name": "zoom_on_time", "select": {"type": "interval", "encodings": ["x"]}, "bind": "scales"}


@functools.cache
def javascript() -> str:
    """Vega, Vega-Lite and vega-embed as one script for a <script> element: the same
    libraries vl-convert renders PNGs with, shipped inside its wheel (no CDN, no download)."""
    return vl_convert.javascript_bundle()  # type: ignore[call-arg]  # its stub marks the optional snippet as required


def _zoomable(spec: dict) -> dict:
    """The spec with ZOOM_ON_TIME on its first view whose x axis is time (a layer's
    views share that scale, so one binding zooms them all, and Vega-Lite clips the marks
    of a scale bound to a selection to the plot); a chart without a time axis (the 'no
    data yet' picture) is left as it is."""
    views = spec.get("layer", [spec])
    for index, view in enumerate(views):
        x = {**spec.get("encoding", {}), **view.get("encoding", {})}.get("x", {})
        if x.get("type") == "temporal":
            zoomed = {**view, "params": [*view.get("params", []), ZOOM_ON_TIME]}
            if "layer" not in spec:
                return zoomed
            return {**spec, "layer": [*views[:index], zoomed, *views[index + 1 :]]}
    return spec


def to_html(chart: alt.TopLevelMixin, name: str) -> str:
    """The chart as HTML drawn by vega-embed (the page must hold `javascript()` first):
    an element `chart-NAME` and the script that fills it, or says why it could not."""
    if not re.fullmatch(r"[a-z0-9_]+", name):
        raise ValueError(f"chart name {name!r}: lower-case letters, digits and _ only (it becomes an element id)")
    # '<' escaped: a model name such as '</script>' in the data must not end the script element.
    spec = json.dumps(_zoomable(chart.to_dict())).replace("<", "\\u003c")
    return (
        f"<div class='chart' id='chart-{name}'></div>\n<script>\n"
        f"vegaEmbed('#chart-{name}', {spec}, {json.dumps(EMBED_OPTIONS)})"
        f".catch(error => {{ document.getElementById('chart-{name}').textContent = "
        f"'chart {name} could not be drawn: ' + error; }});\n</script>"
    )
