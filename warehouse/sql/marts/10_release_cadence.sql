-- table: marts.release_cadence
-- doc:
--   One row per organization and model launch, with the days since that organization's previous launch.
--   Launches are ordered by launch date, then model id; a joint launch counts for each developing
--   organization; a gap of 0 is two launches on the same day. A month- or year-precise date sits on its first
--   day, so `gap_exact` says whether both ends are day-precise.
-- column org_id: Organization (`core.organizations.org_id`).
-- column organization: Its canonical name.
-- column country: Its country.
-- column model_id: The launched model.
-- column model: Its name.
-- column launched_on: Launch date.
-- column launch_precision: Precision of `launched_on`.
-- column launch_number: 1 for the organization's first launch, 2 for the next, ...
-- column previous_model_id: The organization's previous launch (NULL for the first).
-- column previous_launched_on: Its date.
-- column gap_days: `launched_on - previous_launched_on` in days (NULL for the first launch).
-- column gap_exact: True when both dates are day-precise (NULL for the first launch).
-- column median_gap_days: The organization's median gap over all its launches.
-- column organization_launches: The organization's number of launches.
-- column complete: True when the launch is on or before the day launches are complete through
--   (`core.source_coverage`); a later gap may span launches no source lists, so it can be too long.
-- example: select organization, any_value(organization_launches) as launches, any_value(median_gap_days) as
--   median_gap_days from marts.release_cadence where org_id in ('openai', 'google-deepmind', 'alibaba',
--   'deepseek', 'anthropic') group by organization order by median_gap_days
-- refresh kind: cadence_org
-- refresh columns: org_id
-- refresh touched: marts.release_cadence_touched_groups()
-- refresh scope: core.complete_through('infinity', 'state', 'model.launched')

-- Refresh scope: an organization's rows depend on its own launches only, and `complete` on this.
-- marts.release_cadence: one row per organization and model launch, with the days
-- since that organization's previous launch (gap_days; NULL for its first launch).
-- Launches are ordered by launch date, then model id; a joint launch counts for each
-- developing organization; a gap of 0 is two launches on the same day. A date known
-- only to the month or year sits on its first day, so `gap_exact` says whether both
-- ends are day-precise. `median_gap_days` is the organization's median over all its
-- gaps; marts.release_cadence_yearly gives the trend. `complete`: the launch is on or
-- before the day launches are complete through (core.source_coverage); a gap ending
-- later may span launches no source lists, so it can be too long.

-- An organization's rows depend only on its own launches, name and country: an
-- incremental refresh recomputes the organizations (kind 'cadence_org' in
-- projection_state.dirty) that developed a touched model, as it was and as it is, and
-- those whose name or country the refresh changed (11_release_cadence_touched.sql);
-- every organization when the launches' complete_through moved (the scope).
create or replace macro marts.release_cadence_group(org_id) as to_json([org_id])::varchar;

create or replace macro marts.release_cadence_of(as_of, src) as table
with launches as (
    select * from (
        select unnest(m.organization_ids) as org_id, m.model_id, m.model, m.launched_on, m.launch_precision
        from core.models_in(as_of, src) m
        where len(m.organization_ids) > 0 and m.launched_on is not null
    )
    -- (an org_id is never NULL: matched to the group's one column, not a key built per row)
    where src <> 'dirty' or org_id in (select key::json ->> 0 from core.dirty_keys('cadence_org'))
),
ordered as (
    select l.*,
           row_number() over w as launch_number,
           lag(l.model_id) over w as previous_model_id,
           lag(l.launched_on) over w as previous_launched_on,
           lag(l.launch_precision) over w as previous_precision
    from launches l
    window w as (partition by l.org_id order by l.launched_on, l.model_id)
),
-- (per organization by a group by, not a window over each of its rows: cheaper)
per_org as (
    select org_id, median(launched_on - previous_launched_on)::double as median_gap_days, count(*) as organization_launches
    from ordered group by org_id
)
select o.org_id, g.name as organization, g.country, o.model_id, o.model, o.launched_on, o.launch_precision,
       o.launch_number, o.previous_model_id, o.previous_launched_on,
       (o.launched_on - o.previous_launched_on)::integer as gap_days,
       case when o.previous_launched_on is null then null
            else o.launch_precision = 'day' and o.previous_precision = 'day' end as gap_exact,
       p.median_gap_days,
       p.organization_launches,
       coalesce(o.launched_on <= core.complete_through(as_of, src, 'model.launched'), false) as complete
from ordered o join per_org p using (org_id) join core.organizations_in(as_of, src) g using (org_id)
order by o.org_id, o.launch_number;

create or replace macro marts.release_cadence_as_of(as_of) as table
select * from marts.release_cadence_of(as_of, 'log');
