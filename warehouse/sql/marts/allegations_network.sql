-- marts.allegations_network: who accuses whom, of what, and where each allegation
-- stands, quarter by quarter. One row per quarter, edge (accuser -> accused, as
-- organization ids from core.organization_mentions; the accused may be unnamed: NULL),
-- kind and status (an allegation against several organizations is one edge to each),
-- for every quarter from the allegation's first quarter to the last
-- quarter with an allegation event. An allegation's status in a quarter is the status of
-- its latest step (made or updated) dated on or before the quarter's last day.
-- `allegations` counts allegations on the edge in that status at the quarter's end,
-- `new_allegations` those made during the quarter, `status_changes` those whose status
-- was updated during the quarter into this status.

-- The rows of an edge depend only on the allegations on that edge and on the last
-- quarter: an incremental refresh recomputes the edges whose allegations changed
-- (kind 'allegation_edge' in projection_state.dirty), unless the last quarter moved.
create or replace macro marts.allegations_network_edge(accuser_org_id, accuser, accused_org_id, accused, kind) as
    to_json([accuser_org_id, accuser, accused_org_id, accused, kind])::varchar;

-- One edge per accused organization; an unnamed accused is one edge to NULL.
create or replace macro marts.accused_edges(accused_org_ids) as
    case when len(accused_org_ids) = 0 then [null::varchar] else accused_org_ids end;

-- For the refresh (the "now" tables, read directly): the edges of the allegations it
-- touches, as they stand when called, and the last quarter every edge's grid runs to.
create or replace macro marts.allegations_network_touched_edges() as table
select distinct marts.allegations_network_edge(accuser_org_id, accuser, accused_org_id, accused, kind) as edge
from (select * exclude (accused_org_ids), unnest(marts.accused_edges(accused_org_ids)) as accused_org_id
      from core.allegations where allegation_id in (select key from core.dirty_keys('subject')));

create or replace macro marts.allegations_network_last_quarter() as
    (select date_trunc('quarter', max(last_update_on))::date from core.allegations);

create or replace macro marts.allegations_network_of(as_of, src) as table
with every_edge as (
    select * exclude (accused_org_ids), unnest(marts.accused_edges(accused_org_ids)) as accused_org_id
    from core.allegations_in(as_of, src)
),
allegations as (
    select * from every_edge where src <> 'dirty'
    union all
    -- (the edges marked dirty, matched column by column: cheaper than a key per allegation)
    select e.* from every_edge e
    semi join (select key::json ->> 0 as accuser_org_id, key::json ->> 1 as accuser, key::json ->> 2 as accused_org_id,
                      key::json ->> 3 as accused, key::json ->> 4 as kind
               from core.dirty_keys('allegation_edge')) d
        on e.accuser_org_id is not distinct from d.accuser_org_id and e.accuser is not distinct from d.accuser
       and e.accused_org_id is not distinct from d.accused_org_id and e.accused is not distinct from d.accused
       and e.kind is not distinct from d.kind
    where src = 'dirty'
),
last_quarter as (
    -- The quarter of the latest step of any allegation: with src 'dirty', from each
    -- allegation's last_update_on (its history's latest date) rather than from every
    -- history; the other builds unnest the histories they have at hand anyway (reading
    -- core.allegations again there plans worse: +0.5 s on a full build at 1M events).
    select * from (select max(date_trunc('quarter', h.on))::date as q from (select unnest(history) as h from every_edge))
    where src <> 'dirty'
    union all
    select * from (select date_trunc('quarter', max(last_update_on))::date as q from core.allegations_in(as_of, src))
    where src = 'dirty'
),
grid as (
    select a.*,
           unnest(generate_series(date_trunc('quarter', a.alleged_on)::date, (select q from last_quarter), interval 3 month))::date as quarter
    from allegations a
),
placed as (
    select g.*,
           list_filter(g.history, lambda h: h.on <= (g.quarter + interval 3 month - interval 1 day)::date) as known,
           list_filter(g.history[2:], lambda h: h.on >= g.quarter and h.on < (g.quarter + interval 3 month)::date) as updates_in_quarter
    from grid g
)
select quarter,
       accuser_org_id, accuser, accused_org_id, accused, kind,
       known[-1].status as status,
       count(*) as allegations,
       count(*) filter (where date_trunc('quarter', alleged_on) = quarter) as new_allegations,
       count(*) filter (where len(updates_in_quarter) > 0) as status_changes,
       list(allegation_id order by allegation_id) as allegation_ids
from placed
group by all
order by quarter, accuser_org_id, accused_org_id, kind, status;

create or replace macro marts.allegations_network_as_of(as_of) as table
select * from marts.allegations_network_of(as_of, 'log');
