-- table: marts.catch_up_lag_yearly
-- doc:
--   "Is the gap closing?" in one query, **in training compute** (`marts.capability_gap_yearly` asks it on a
--   capability index): per comparison, step group and year of the step (a dense grid from the group's first
--   step to the last year in the data), from `marts.catch_up_lag`. `median_lag_days` is over the caught-up
--   leading steps only: open steps are not in it, so recent years read low until they close (watch
--   `open_steps`, and `open_days` in `marts.catch_up_lag`). `median_behind_days` measures the other
--   direction: how far behind the group was when it set its own records.
-- column comparison: us_vs_china, open_vs_closed or lab_vs_leader.
-- column step_group: The group that made the steps.
-- column rival_group: The group catching up.
-- column year: Year of the steps.
-- column frontier_steps: Steps that year.
-- column leading_steps: Of those, steps that led the rival.
-- column caught_up_steps: Leading steps the rival has caught up.
-- column open_steps: Leading steps still open.
-- column median_lag_days: Median `lag_days` of the caught-up steps (NULL when none).
-- column min_lag_days: Shortest of those lags.
-- column max_lag_days: Longest of those lags.
-- column trailing_steps: Steps that did not lead (the rival was already there).
-- column median_behind_days: Median `behind_days` of those steps.
-- example: select year, leading_steps, caught_up_steps, open_steps, median_lag_days from
--   marts.catch_up_lag_yearly where comparison = 'us_vs_china' and step_group = 'US' and year >= 2019 order
--   by year

-- marts.catch_up_lag_yearly: "is the gap closing?" in one query, in training compute
-- (marts.capability_gap_yearly asks the same on a capability index). Per comparison, step
-- group and year of the step (a dense grid from the group's first step to the last
-- year in the data), from marts.catch_up_lag: how many frontier steps the group made,
-- how many led the rival, how many of those the rival has caught up and how many stay
-- open, the median lag of the caught-up ones (`median_lag_days`; open steps are not in
-- it, so recent years read low until they close - watch `open_steps`), and for steps
-- that did not lead, the median days the group was behind the rival.
create or replace macro marts.catch_up_lag_yearly_of(as_of, src) as table
with lags as (select * from marts.catch_up_lag_in(as_of, src)),
spans as (
    select comparison, step_group, any_value(rival_group) as rival_group, min(step_year) as first_year
    from lags group by all
),
grid as (
    select s.comparison, s.step_group, s.rival_group,
           unnest(range(s.first_year, (select max(year(launched_on)) from core.models_in(as_of, src)) + 1)) as year
    from spans s
),
per_year as (
    select comparison, step_group, step_year as year,
           count(*) as frontier_steps,
           count(*) filter (where step_leads) as leading_steps,
           count(*) filter (where caught_up) as caught_up_steps,
           count(*) filter (where step_leads and not caught_up) as open_steps,
           median(lag_days)::double as median_lag_days,
           min(lag_days) as min_lag_days,
           max(lag_days) as max_lag_days,
           count(*) filter (where not step_leads) as trailing_steps,
           median(behind_days)::double as median_behind_days
    from lags group by all
)
select g.comparison, g.step_group, g.rival_group, g.year::integer as year,
       coalesce(p.frontier_steps, 0) as frontier_steps,
       coalesce(p.leading_steps, 0) as leading_steps,
       coalesce(p.caught_up_steps, 0) as caught_up_steps,
       coalesce(p.open_steps, 0) as open_steps,
       p.median_lag_days, p.min_lag_days, p.max_lag_days,
       coalesce(p.trailing_steps, 0) as trailing_steps,
       p.median_behind_days
from grid g left join per_year p using (comparison, step_group, year)
order by g.comparison, g.step_group, g.year;

create or replace macro marts.catch_up_lag_yearly_as_of(as_of) as table
select * from marts.catch_up_lag_yearly_of(as_of, 'log');
