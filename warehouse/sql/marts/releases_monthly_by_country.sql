-- table: marts.releases_monthly_by_country
-- doc:
--   Model launches per month and country of the developers (`core.models.countries`; HK stays its own code).
--   A dense grid per country from its first launch to the last month in the data. A model developed in two
--   countries counts once for each; a model whose country is unknown is left out.
-- column month: First day of the month.
-- column country: ISO country code of a developer.
-- column launches: Models launched that month with a developer in that country.
-- column launches_day_precision: Of those, launches with a day-precise date.
-- column rolling_3m: Launches in the 3 months ending with this one.
-- column rolling_12m: Launches in the 12 months ending with this one.
-- column cumulative: Launches from the country's first month to this one.
-- column share_of_month: Its launches / all countries' launches that month.
-- column complete: True when the month ends on or before the day launches are complete through
--   (`core.source_coverage.complete_through` of a whole-table source: Epoch AI's). Later months hold only
--   hand-picked launches: a drop there is missing data, not a slowdown.
-- example: select country, sum(launches) as launches_2024, round(avg(share_of_month), 3) as mean_share from
--   marts.releases_monthly_by_country where year(month) = 2024 group by country order by launches_2024 desc
--   limit 5

-- marts.releases_monthly_by_country: model launches per month and country of the
-- developing organizations (core.models.countries; HK stays its own code here).
-- A dense grid: every country has a row for every month from its first launch to the
-- last month in the data, so rolling windows count calendar months. A model developed
-- in two countries counts once for each; a model whose country is unknown is left out.
-- Dates known only to the month or year sit on the first day of that month or year.
-- `complete`: the month ends on or before the day launches are complete through
-- (core.source_coverage); later months hold only hand-picked launches.
create or replace macro marts.releases_monthly_by_country_of(as_of, src) as table
with launches as (
    select date_trunc('month', m.launched_on)::date as month,
           unnest(list_distinct(m.countries)) as country,
           m.launch_precision
    from core.models_in(as_of, src) m
    where len(m.countries) > 0 and m.launched_on is not null
),
spans as (select country, min(month) as first_month from launches group by country),
grid as (
    select s.country,
           unnest(generate_series(s.first_month, (select max(month) from launches), interval 1 month))::date as month
    from spans s
),
counts as (
    select country, month, count(*) as launches,
           count(*) filter (where launch_precision = 'day') as launches_day_precision
    from launches group by country, month
),
dense as (
    select g.month, g.country,
           coalesce(c.launches, 0) as launches,
           coalesce(c.launches_day_precision, 0) as launches_day_precision
    from grid g left join counts c using (country, month)
)
select month, country, launches, launches_day_precision,
       (sum(launches) over (partition by country order by month rows between 2 preceding and current row))::bigint as rolling_3m,
       (sum(launches) over (partition by country order by month rows between 11 preceding and current row))::bigint as rolling_12m,
       (sum(launches) over (partition by country order by month rows between unbounded preceding and current row))::bigint as cumulative,
       coalesce(launches / nullif(sum(launches) over (partition by month), 0), 0)::double as share_of_month,
       coalesce(last_day(month) <= core.complete_through(as_of, src, 'model.launched'), false) as complete
from dense
order by month, country;

create or replace macro marts.releases_monthly_by_country_as_of(as_of) as table
select * from marts.releases_monthly_by_country_of(as_of, 'log');
