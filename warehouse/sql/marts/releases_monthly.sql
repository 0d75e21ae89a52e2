-- table: marts.releases_monthly
-- doc:
--   Model launches per month and developing organization. A dense grid: every organization has a row for
--   every month from its first launch to the last month in the data, so rolling windows count calendar
--   months. A joint launch counts once for each developing organization (so `share_of_month` is of
--   organization credits). Launches known only to the month or year sit on its first month.
-- column month: First day of the month.
-- column org_id: Organization (`core.organizations.org_id`).
-- column organization: Its canonical name.
-- column country: Its country.
-- column launches: Models it launched that month.
-- column launches_day_precision: Of those, launches with a day-precise date.
-- column rolling_3m: Launches in the 3 months ending with this one.
-- column rolling_12m: Launches in the 12 months ending with this one.
-- column cumulative: Launches from its first month to this one.
-- column share_of_month: Its launches / all organizations' launches that month (0 when none).
-- column complete: True when the month ends on or before the day launches are complete through
--   (`core.source_coverage.complete_through` of a whole-table source: Epoch AI's). Later months hold only
--   hand-picked launches: a drop there is missing data, not a slowdown.
-- example: select organization, country, rolling_12m, cumulative from marts.releases_monthly where month =
--   '2025-06-01' order by rolling_12m desc, organization limit 5
-- refresh kind: launch_month
-- refresh columns: month
-- refresh touched: marts.launch_months_touched()
-- refresh scope: marts.releases_monthly_scope()

-- marts.releases_monthly: model launches per month, organization and country.
-- A dense grid: every organization has a row for every month from its first launch
-- to the last month in the data, so rolling windows count calendar months.
-- A joint launch counts once for each developing organization. Launches known only
-- to the year are placed in January, to the month on its first day (see
-- launch_precision in core.models); `launches_day_precision` counts the exact ones.
-- `complete`: the month ends on or before the last day some source of launches lists
-- every launch through (core.source_coverage: Epoch's table); later months hold only the
-- hand-picked launches of other sources, so their counts fall and are not a slowdown.

-- A row depends only on launches in its month and earlier (counts, rolling windows and
-- cumulative count) and on its month's other rows (share_of_month): an incremental
-- refresh recomputes the months from the earliest launch month of the models it touches
-- (as they were and as they are) to the last launch month (kind 'launch_month'), from
-- the rows of the 11 months before (for the rolling windows) and the launches before
-- them (for the cumulative count); unless the last month of the grid moved (every
-- organization's rows run to it), an organization with rows changed its name or
-- country, which moves its rows of every month, or the launches' complete_through moved
-- (the scope, releases_monthly_touched.sql).
create or replace macro marts.launch_months_touched() as table
select to_json([month::varchar])::varchar
from (select unnest(generate_series(min(date_trunc('month', launched_on)),
                                    (select max(date_trunc('month', launched_on)) from core.models),
                                    interval 1 month))::date as month
      from core.models where model_id in (select key from core.dirty_keys('model')));

create or replace macro marts.releases_monthly_of(as_of, src) as table
with dirty as (
    select (key::json ->> 0)::date as month from core.dirty_keys('launch_month') where src = 'dirty'
),
-- The first month the grid needs ('-infinity' unless src is 'dirty').
grid_start as (
    select coalesce((select min(month) - interval 11 month from dirty), '-infinity'::date)::date as month
),
launches as (
    select date_trunc('month', m.launched_on)::date as month,
           unnest(m.organization_ids) as org_id,
           m.launch_precision
    from core.models_in(as_of, src) m
    where len(m.organization_ids) > 0
),
orgs as (select org_id, name as organization, country from core.organizations_in(as_of, src)),
spans as (
    select org_id, min(month) as first_month,
           count(*) filter (where month < (select month from grid_start)) as launches_before
    from launches group by org_id
),
grid as (
    select s.org_id, s.launches_before,
           unnest(generate_series(greatest(s.first_month, (select month from grid_start)),
                                  (select max(month) from launches), interval 1 month))::date as month
    from spans s
),
counts as (
    select org_id, month, count(*) as launches, count(*) filter (where launch_precision = 'day') as launches_day_precision
    from launches group by org_id, month
),
dense as (
    select g.month, g.org_id, o.organization, o.country, g.launches_before,
           coalesce(c.launches, 0) as launches,
           coalesce(c.launches_day_precision, 0) as launches_day_precision
    from grid g join orgs o using (org_id) left join counts c using (org_id, month)
)
select month, org_id, organization, country, launches, launches_day_precision,
       (sum(launches) over w3)::bigint as rolling_3m,
       (sum(launches) over w12)::bigint as rolling_12m,
       (launches_before + sum(launches) over (partition by org_id order by month rows between unbounded preceding and current row))::bigint as cumulative,
       coalesce(launches / nullif(sum(launches) over (partition by month), 0), 0)::double as share_of_month,
       coalesce(last_day(month) <= core.complete_through(as_of, src, 'model.launched'), false) as complete
from dense
window w3 as (partition by org_id order by month rows between 2 preceding and current row),
       w12 as (partition by org_id order by month rows between 11 preceding and current row)
qualify src <> 'dirty' or month in (select month from dirty)
order by month, org_id;

create or replace macro marts.releases_monthly_as_of(as_of) as table
select * from marts.releases_monthly_of(as_of, 'log');
