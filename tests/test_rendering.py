"""Rendering a definition for the mode it runs in (warehouse/projections/rendering.py).

* A macro that takes `src` becomes one macro per mode, `<name>__<mode>`, without `src`;
  `src` in its body is the mode's literal.
* A reader `<table>_in(as_of, src)` becomes what the mode reads: the table's own
  definition from the log ('log'), the materialized table ('state', 'dirty'), an
  intermediate table's stored side.
* A statement outside any mode names the mode of each call with a literal; a `src` there
  is an error that names the statement.
"""

from __future__ import annotations

import duckdb
import pytest

from warehouse.projections.rendering import Catalog, log_stand_in, render, statements

DEFINITIONS = """
create or replace macro core.toy_stored(src) as table
select * from projection_state.toy where src = 'state'
union all
select * from projection_state.recomputed_toy where src = 'dirty';

create or replace macro core.totals_of(as_of, src) as table
select org_id, count(*) as n
from core.models_in(as_of, src) m join core.toy_in(as_of, core.all_rows_of(src)) t using (model_id)
where src <> 'dirty' or org_id in (select key from core.dirty_keys('org'))
group by org_id;

create or replace macro core.last_of(as_of, src, kind) as
    (select max(n) from core.totals_in(as_of, src) where kind = kind);
"""
CATALOG = Catalog.of([DEFINITIONS], tables=["core.models", "core.totals"], intermediates=["core.toy"])
TOTALS = statements(DEFINITIONS)[1]


def test_each_mode_reads_its_own_inputs_and_keeps_no_src():
    log, state, dirty = (render(TOTALS, mode, CATALOG) for mode in ("log", "state", "dirty"))
    assert "create or replace macro core.totals_of__log(as_of) as table" in log
    assert "from core.models_of__log(as_of) m join core.toy_of__log(as_of) t" in log
    assert "where 'log' <> 'dirty' or" in log
    assert "from core.models m join core.toy_stored__state() t" in state
    # ('dirty' reads the toy's every materialized row: core.all_rows_of(src) names 'state')
    assert "create or replace macro core.totals_of__dirty(as_of) as table" in dirty
    assert "from core.models m join core.toy_stored__state() t" in dirty
    assert "where 'dirty' <> 'dirty' or" in dirty
    for text in (log, state, dirty):
        assert "src" not in text and "_in(" not in text


def test_a_call_names_the_mode_it_passes_and_drops_it():
    assert render("select core.last_of('infinity', 'state', 'launch')", None, CATALOG) == (
        "select core.last_of__state('infinity', 'launch')"
    )
    assert render(statements(DEFINITIONS)[0], "dirty", CATALOG).startswith(
        "\ncreate or replace macro core.toy_stored__dirty() as table"
    )


def test_a_src_outside_a_macro_that_takes_it_is_an_error_naming_the_statement():
    with pytest.raises(ValueError, match="select \\* from core.totals_of"):
        render("select * from core.totals_of('infinity', src)", None, CATALOG)
    with pytest.raises(ValueError, match="takes `src`: it is rendered once per mode"):
        render(TOTALS, None, CATALOG)


def test_every_rendering_binds_in_duckdb_and_the_stand_in_has_the_shape_of_the_real_one():
    con = duckdb.connect()
    con.execute("create schema core; create schema projection_state")
    con.execute("create table projection_state.dirty (kind varchar, key varchar)")
    con.execute("create macro core.dirty_keys(k) as table select key from projection_state.dirty where kind = k")
    con.execute("create table core.models (model_id varchar, org_id varchar)")
    con.execute("create table projection_state.toy (model_id varchar)")
    con.execute("create table projection_state.recomputed_toy (model_id varchar)")
    con.execute("create macro core.models_of__log(as_of) as table select 'm' as model_id, 'o' as org_id")
    con.execute("create macro core.toy_of__log(as_of) as table select 'm' as model_id")
    toy, totals, last = statements(DEFINITIONS)
    for statement in (toy, totals):
        con.execute(render(statement, "state", CATALOG))
        con.execute(render(statement, "dirty", CATALOG))
        con.execute(log_stand_in(statement, CATALOG))
    assert con.execute("select * from core.totals_of__log('infinity')").fetchall() == []  # (the stand-in)
    con.execute(render(totals, "log", CATALOG))
    assert con.execute("select * from core.totals_of__log('infinity')").fetchall() == [("o", 1)]
    con.execute("create table core.totals as select * from core.totals_of__state('infinity')")
    con.execute(render(last, "state", CATALOG))
    assert con.execute("select core.last_of__state('infinity', 'x')").fetchall() == [(None,)]
