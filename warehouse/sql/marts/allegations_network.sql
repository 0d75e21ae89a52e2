-- table: marts.allegations_network
-- doc:
--   Who accuses whom, of what, and where each allegation stands, quarter by quarter. Only accusations and
--   lawsuits make edges (`core.allegations.nature`): a regulator's inquiry or study accuses no one. One row
--   per quarter, edge (accuser -> accused organization ids, with their countries), nature, kind and status,
--   for every quarter from the allegation's first quarter to the last quarter with an allegation event. An
--   allegation's status in a quarter is the status of its latest step dated on or before the quarter's last
--   day. An allegation with several accusers or accused (co-plaintiffs, co-defendants: "Disney, Universal
--   City Studios v. Midjourney", "Anthropic v. DeepSeek, Moonshot AI, MiniMax") is one edge from each accuser
--   to each accused.
-- column quarter: First day of the quarter.
-- column accuser_org_id: Accuser organization id; one edge per accuser.
-- column accuser: Accuser as named.
-- column accuser_country: The accuser's country (registry; NULL when unknown).
-- column accused_org_id: Accused organization id (NULL: unnamed); one edge per accused organization.
-- column accused: Accused as named (NULL: unnamed).
-- column accused_country: The accused's country (registry; NULL when unknown or unnamed).
-- column nature: accusation or lawsuit (inquiries make no edge).
-- column kind: Kind of allegation (subject matter).
-- column status: Status at the quarter's end.
-- column allegations: Allegations on this edge, of this kind, in this status at the quarter's end.
-- column new_allegations: Of those, allegations made during the quarter.
-- column status_changes: Of those, allegations updated during the quarter.
-- column allegation_ids: The allegations (`core.allegations.allegation_id`).
-- example: select quarter, accuser_org_id, accuser_country, accused_org_id, accused_country, nature, status,
--   allegations from marts.allegations_network where accused_org_id = 'deepseek' and quarter >= '2025-01-01'
--   order by quarter, accuser_org_id limit 8
-- refresh kind: allegation_edge
-- refresh columns: accuser_org_id accuser accused_org_id accused nature kind
-- refresh touched: marts.allegations_network_touched_edges()
-- refresh scope: marts.allegations_network_last_quarter()

-- marts.allegations_network: who accuses whom, of what, and where each allegation
-- stands, quarter by quarter. Only accusations and lawsuits make edges: a regulator's
-- inquiry or study (the FTC's 6(b) orders) accuses no one, and stays in core.allegations
-- alone. One row per quarter, edge (accuser -> accused, as organization ids from
-- core.organization_mentions, each with its country; the accused may be unnamed: NULL),
-- nature, kind and status: an allegation with several accusers or accused (co-plaintiffs,
-- co-defendants) is one edge from each accuser to each accused. Every quarter from the
-- allegation's first quarter to the last quarter with an allegation event is listed. An
-- allegation's status in a quarter is the status of its latest step (made or updated)
-- dated on or before the quarter's last day. `allegations` counts allegations on the edge
-- in that status at the quarter's end, `new_allegations` those made during the quarter,
-- `status_changes` those whose status was updated during the quarter into this status.

-- The rows of an edge depend only on the allegations on that edge and on the last
-- quarter: an incremental refresh recomputes the edges whose allegations changed
-- (kind 'allegation_edge' in projection_state.dirty), unless the last quarter moved.
create or replace macro marts.allegations_network_edge(accuser_org_id, accuser, accused_org_id, accused, nature, kind) as
    to_json([accuser_org_id, accuser, accused_org_id, accused, nature, kind])::varchar;

-- The natures that accuse someone (an inquiry does not).
create or replace macro marts.accusing_nature(nature) as nature in ('accusation', 'lawsuit');

-- Every allegation that accuses, once per (accuser, accused) pair of its parties; an
-- unnamed accused is one edge to NULL. (The parties are unnested in the select list and
-- paired by a join on the allegation: a lateral unnest per row costs ~30x more.) Which
-- allegations: all of them, or (`of`) those of the subjects a refresh touches
-- ('touched'), or those with an accuser of an edge marked dirty ('dirty_accusers': a
-- superset of the dirty edges' allegations, cheap to find before the pairing).
create or replace macro marts.allegation_edges(as_of, src, of) as table
with accusing as (
    select * from core.allegations_in(as_of, src)
    where marts.accusing_nature(nature)
      and (of = 'all'
           or (of = 'touched' and allegation_id in (select key from core.dirty_keys('subject')))
           or (of = 'dirty_accusers' and list_has_any(accuser_org_ids, (select list(distinct key::json ->> 0)
                                                                         from core.dirty_keys('allegation_edge')))))
),
sides as (select allegation_id, unnest(parties) as party from accusing),
accusers as (select allegation_id, party from sides where party.role = 'accuser'),
accused as (select allegation_id, party from sides where party.role = 'accused')
select a.* exclude (accusers, accuser_org_ids, accused, accused_org_ids, parties),
       r.party.org_id as accuser_org_id, r.party.name as accuser, r.party.country as accuser_country,
       d.party.org_id as accused_org_id, d.party.name as accused, d.party.country as accused_country
from accusing a
join accusers r using (allegation_id)
left join accused d using (allegation_id);

-- For the refresh (the "now" tables, read directly): the edges of the allegations it
-- touches, as they stand when called, and the last quarter every edge's grid runs to.
create or replace macro marts.allegations_network_touched_edges() as table
select distinct marts.allegations_network_edge(accuser_org_id, accuser, accused_org_id, accused, nature, kind) as edge
from marts.allegation_edges('infinity', 'state', 'touched');

create or replace macro marts.allegations_network_last_quarter() as
    (select date_trunc('quarter', max(last_update_on))::date from core.allegations);

create or replace macro marts.allegations_network_of(as_of, src) as table
with every_edge as (
    select * from marts.allegation_edges(as_of, src, case when src = 'dirty' then 'dirty_accusers' else 'all' end)
),
allegations as (
    select * from every_edge where src <> 'dirty'
    union all
    -- (the edges marked dirty, matched column by column: cheaper than a key per allegation)
    select e.* from every_edge e
    semi join (select key::json ->> 0 as accuser_org_id, key::json ->> 1 as accuser, key::json ->> 2 as accused_org_id,
                      key::json ->> 3 as accused, key::json ->> 4 as nature, key::json ->> 5 as kind
               from core.dirty_keys('allegation_edge')) d
        on e.accuser_org_id is not distinct from d.accuser_org_id and e.accuser is not distinct from d.accuser
       and e.accused_org_id is not distinct from d.accused_org_id and e.accused is not distinct from d.accused
       and e.nature is not distinct from d.nature and e.kind is not distinct from d.kind
    where src = 'dirty'
),
last_quarter as (
    -- The quarter of the latest step of any allegation (inquiries included: the grid is
    -- the same whatever makes edges), from each allegation's last_update_on.
    select date_trunc('quarter', max(last_update_on))::date as q from core.allegations_in(as_of, src)
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
       accuser_org_id, accuser, accuser_country, accused_org_id, accused, accused_country, nature, kind,
       known[-1].status as status,
       count(*) as allegations,
       count(*) filter (where date_trunc('quarter', alleged_on) = quarter) as new_allegations,
       count(*) filter (where len(updates_in_quarter) > 0) as status_changes,
       list(allegation_id order by allegation_id) as allegation_ids
from placed
group by all
order by quarter, accuser_org_id, accused_org_id, nature, kind, status;

create or replace macro marts.allegations_network_as_of(as_of) as table
select * from marts.allegations_network_of(as_of, 'log');
