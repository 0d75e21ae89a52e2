"""`airace report OUT.html`: a self-contained HTML report of the pace-of-competition marts.

Read from the published snapshot (or as of a past moment), so the report shows what
analysts can query. Charts are Vega-Lite specs drawn in the browser (tooltips naming
each model, zoom on time) by the Vega JavaScript inlined in the page, so nothing is
fetched when the file is opened: it can be mailed, archived, or opened offline.
"""

from __future__ import annotations

import datetime as dt
import decimal
import html
import math
from pathlib import Path
from typing import Annotated

import duckdb
import typer

from pipelines.cli_shared import HomeOption, as_of_option, console, errors, resolve_home, until_option
from warehouse.errors import StoreError
from warehouse.publishing.timetravel import open_as_of, open_snapshot, open_until

# (title, note, SQL) of the small tables under the charts; each answers one question.
TABLES: list[tuple[str, str, str]] = [
    (
        "How many months behind? China vs the US and open weights vs closed, on the capability index (ECI)",
        "Each month, the time since the leader first reached the follower's best score on Epoch AI's Capabilities "
        "Index; the year's value is its last month (for the current year: now). Steps: the leader's record scores "
        "that year and the median days until the follower matched them (open steps are not in the median).",
        """select comparison, year, round(year_end_gap_months, 1) as months_behind_at_year_end,
                  round(mean_gap_months, 1) as mean_months_behind, months_follower_ahead,
                  leading_steps, caught_up_steps, open_steps, median_lag_days
           from marts.capability_gap_yearly
           where index_name = 'ECI' and ((comparison = 'us_vs_china' and leader = 'US')
                                         or (comparison = 'open_vs_closed' and leader = 'closed'))
           order by comparison desc, year""",
    ),
    (
        "Is China closing the gap in training compute? US frontier steps and China's catch-up, per year",
        "Measured in training compute (what the models cost, not what they can do: see the capability table "
        "above). A US step is a model whose training compute exceeded every earlier US model and every Chinese one "
        "then; the lag is the days until a Chinese model matched it. Open steps have not been matched yet.",
        """select year, leading_steps as us_steps, caught_up_steps as caught_up, open_steps as still_open,
                  median_lag_days
           from marts.catch_up_lag_yearly
           where comparison = 'us_vs_china' and step_group = 'US' and year >= 2015 order by year""",
    ),
    (
        "Open weights vs closed in training compute, per year",
        "Days until an open-weights model matched the training compute of each closed frontier step.",
        """select year, leading_steps as closed_steps, caught_up_steps as caught_up, open_steps as still_open,
                  median_lag_days
           from marts.catch_up_lag_yearly
           where comparison = 'open_vs_closed' and step_group = 'closed' and year >= 2015 order by year""",
    ),
    (
        "Training-compute frontier records since 2018",
        "Each model set a record of training compute; held until the next record.",
        """select launched_on, model, array_to_string(organizations, ', ') as organizations,
                  format('{:.2e}', training_compute_flop) as training_compute_flop, held_days_to_date as held_days,
                  is_current_record as current
           from marts.frontier_timeline where is_compute_record and launched_on >= '2018-01-01' order by launched_on""",
    ),
    (
        "Most launches in the last 12 complete months",
        "Launches per organization over the 12 months ending with the last complete month (later months hold "
        "hand-picked launches only; the last month of data when no month is complete).",
        """select month, organization, country, rolling_12m as launches_12m, cumulative as launches_all_time
           from marts.releases_monthly
           where month = (select coalesce(max(month) filter (where complete), max(month)) from marts.releases_monthly)
           order by rolling_12m desc, organization limit 10""",
    ),
    (
        "Concentration, last eight quarters",
        "Herfindahl-Hirschman index of launches (0-10,000) by lab and by group (Alphabet's labs as one), and the equivalent number of equal-sized groups. "
        "complete: the quarter is within a complete source's coverage; enough_launches: 10 or more launches "
        "(with fewer, the index cannot fall below 10,000 / launches whoever made them).",
        """select quarter, any_value(launches) as launches,
                  round(any_value(hhi_organizations) filter (where level = 'lab')) as hhi_labs,
                  round(any_value(hhi_organizations) filter (where level = 'group')) as hhi_groups,
                  round(any_value(effective_organizations) filter (where level = 'group'), 1) as effective_groups,
                  round(any_value(hhi_countries)) as hhi_countries, any_value(top_country) as top_country,
                  bool_and(complete) as complete, bool_and(enough_launches) as enough_launches
           from marts.concentration where launches > 0 group by quarter order by quarter desc limit 8""",
    ),
    (
        "Sources and what they cover",
        "complete_through: the last day up to which a source aims to list every event of its types (a whole "
        "upstream table, at most through its last date); a hand-picked source is never complete. Periods after "
        "it are marked incomplete in the marts and shaded in the charts.",
        """select source, array_to_string(event_types, ', ') as event_types, events, first_on, last_on,
                  completeness, complete_through, last_recorded_at::date as last_recorded
           from core.source_coverage order by source""",
    ),
    (
        "Policy changes per jurisdiction, last 24 months of data",
        "Each step of a policy (proposed, adopted, in force, amended, revoked...) counts once.",
        """select jurisdiction, sum(changes)::integer as changes, sum(new_policies)::integer as new_policies
           from marts.policy_velocity
           where month > (select max(month) from marts.policy_velocity) - interval 24 month
           group by jurisdiction order by changes desc, jurisdiction""",
    ),
]

CHART_TITLES = {
    "launches_by_country": "Launches per month by country",
    "catch_up_lag_us_china": "US vs China: catch-up lag of training-compute frontier steps",
    "concentration": "Concentration of launches",
    "capability_frontier": "Capability frontier (ECI): US, China and open-weights models",
    "capability_gap_months": "Months behind on the capability index (ECI)",
}

# Table headers as a reader says them; a column not named here reads as its name in words
# (`launches_12m` -> "Launches 12m").
HEADERS = {
    "year": "Year",
    "us_steps": "US steps",
    "closed_steps": "Closed steps",
    "caught_up": "Caught up",
    "still_open": "Still open",
    "median_lag_days": "Median lag (days)",
    "launched_on": "Launched",
    "training_compute_flop": "Training compute (FLOP)",
    "held_days": "Held (days)",
    "current": "Current record",
    "launches_12m": "Launches, last 12 months",
    "launches_all_time": "Launches, all time",
    "hhi_labs": "HHI, labs",
    "hhi_groups": "HHI, groups",
    "hhi_organizations": "HHI, organizations",
    "hhi_countries": "HHI, countries",
    "effective_groups": "Effective groups",
    "effective_organizations": "Effective organizations",
    "top_country": "Top country",
    "new_policies": "New policies",
}

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1000px; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.2em; margin-top: 2em; }
.chart { overflow-x: auto; }
table { border-collapse: collapse; font-size: 0.9em; margin: 0.5em 0 1em; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: left; }
th { background: #f3f3f3; } td.number { text-align: right; font-variant-numeric: tabular-nums; }
.note { color: #555; font-size: 0.9em; }
"""


def _header(column: str) -> str:
    return HEADERS.get(column) or column.replace("_", " ").capitalize()


def _text(column: str, value) -> str:
    """A cell's value as a reader writes it: thousands separated, whole numbers without
    '.0', yes/no, dates without a time, a quarter as 2025-Q3, a month as 2025-11."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (float, decimal.Decimal)) and math.isfinite(value):
        return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"
    if isinstance(value, int):
        return str(value) if column == "year" else f"{value:,}"
    if value is None:
        return "\u2014"
    if isinstance(value, dt.datetime):
        return f"{value.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC" if value.tzinfo else f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, dt.date):
        if column == "quarter":
            return f"{value.year}-Q{(value.month - 1) // 3 + 1}"
        return f"{value:%Y-%m}" if column == "month" else value.isoformat()
    if isinstance(value, (list, tuple)):
        return ", ".join(str(item) for item in value)
    return str(value)


def _cell(column: str, value) -> str:
    if value is None:
        return "<td>&mdash;</td>"
    number = isinstance(value, (int, float, decimal.Decimal)) and not isinstance(value, bool) and column != "year"
    opening = "<td class='number'>" if number else "<td>"
    return f"{opening}{html.escape(_text(column, value))}</td>"


def _table(con: duckdb.DuckDBPyConnection, query: str) -> str:
    relation = con.sql(query)
    columns = relation.columns
    head = "".join(f"<th>{html.escape(_header(c))}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(_cell(c, v) for c, v in zip(columns, row, strict=True)) + "</tr>" for row in relation.fetchall()
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_report(con: duckdb.DuckDBPyConnection, *, title: str = "airace: the pace of the AI race") -> str:
    """The whole report as one HTML string: the Vega JavaScript and every chart's spec inline, no external reference."""
    # (altair, imported here: registering the command must not slow `airace sql` down)
    from warehouse.publishing import charts

    events, last_recorded = con.execute("select count(*), max(recorded_at) from events.log").fetchall()[0]
    models, last_launch = con.execute("select count(*), max(launched_on) from core.models").fetchall()[0]
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{STYLE}</style>",
        f"<script>{charts.javascript()}</script></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p class='note'>{events} events recorded up to {_text('recorded_at', last_recorded)}; {models} models, "
        f"last launch {html.escape(str(last_launch))}. Model data: Epoch AI, 'Data on AI Models' (CC BY 4.0), "
        "and airace's curated events. Definitions: warehouse/DATA_DICTIONARY.md.</p>",
    ]
    parts.append(
        "<p class='note'>Hover a mark for its values; on a time axis, scroll to zoom, drag to pan, "
        "double-click to reset.</p>"
    )
    for name, (_, make) in charts.CHARTS.items():
        parts.append(f"<h2>{html.escape(CHART_TITLES.get(name, name))}</h2>")
        parts.append(charts.to_html(make(con), name))
    for heading, note, query in TABLES:
        parts.append(f"<h2>{html.escape(heading)}</h2><p class='note'>{html.escape(note)}</p>")
        parts.append(_table(con, query))
    parts.append(f"<p class='note'>Generated {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC by airace report.</p>")
    parts.append("</body></html>")
    return "\n".join(parts)


def report(
    out: Annotated[Path, typer.Argument(help="The HTML file to write.")],
    home: HomeOption = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Report as the warehouse knew it at this date/time (record time).")
    ] = None,
    until: Annotated[
        str | None,
        typer.Option("--until", help="Report the race as it had happened by this date, with what is known today (valid time)."),
    ] = None,
) -> None:
    """Write a self-contained HTML report (charts and small tables) from the published snapshot."""
    if as_of is not None and until is not None:
        raise typer.BadParameter("--as-of (record time) and --until (valid time) are two different clocks: give one")
    resolved = resolve_home(home)
    title = "airace: the pace of the AI race"
    try:
        if as_of:
            opener, title = open_as_of(resolved, as_of_option(as_of)), f"{title}, as recorded by {as_of}"
        elif until:
            opener, title = open_until(resolved, until_option(until)), f"{title}, as it had happened by {until}"
        else:
            opener = open_snapshot(resolved)
        with opener as con:
            document = render_report(con, title=title)
    except StoreError as exc:
        errors.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(document, encoding="utf-8")
    console.print(f"report written: {out} ({len(document.encode()) // 1024} KiB)")
