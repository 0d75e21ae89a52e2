-- marts.releases_monthly: model launches per month, organization and country.
-- A dense grid: every organization has a row for every month from its first launch
-- to the last month in the data, so rolling windows count calendar months.
-- A joint launch counts once for each developing organization. Launches known only
-- to the year are placed in January, to the month on its first day (see
-- launch_precision in core.models); `launches_day_precision` counts the exact ones.
create or replace macro marts.releases_monthly_of(as_of, src) as table
with launches as (
    select date_trunc('month', m.launched_on)::date as month,
           unnest(m.organization_ids) as org_id,
           m.launch_precision
    from core.models_in(as_of, src) m
    where len(m.organization_ids) > 0
),
orgs as (select org_id, name as organization, country from core.organizations_in(as_of, src)),
spans as (
    select org_id, min(month) as first_month from launches group by org_id
),
grid as (
    select s.org_id, unnest(generate_series(s.first_month, (select max(month) from launches), interval 1 month))::date as month
    from spans s
),
counts as (
    select org_id, month, count(*) as launches, count(*) filter (where launch_precision = 'day') as launches_day_precision
    from launches group by org_id, month
),
dense as (
    select g.month, g.org_id, o.organization, o.country,
           coalesce(c.launches, 0) as launches,
           coalesce(c.launches_day_precision, 0) as launches_day_precision
    from grid g join orgs o using (org_id) left join counts c using (org_id, month)
)
select month, org_id, organization, country, launches, launches_day_precision,
       (sum(launches) over w3)::bigint as rolling_3m,
       (sum(launches) over w12)::bigint as rolling_12m,
       (sum(launches) over (partition by org_id order by month rows between unbounded preceding and current row))::bigint as cumulative,
       coalesce(launches / nullif(sum(launches) over (partition by month), 0), 0)::double as share_of_month
from dense
window w3 as (partition by org_id order by month rows between 2 preceding and current row),
       w12 as (partition by org_id order by month rows between 11 preceding and current row)
order by month, org_id;

create or replace macro marts.releases_monthly_as_of(as_of) as table
select * from marts.releases_monthly_of(as_of, 'log');
