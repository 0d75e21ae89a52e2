-- table: marts.capability_gap_yearly
-- doc:
--   "Is the gap closing?" in one query, **on a capability index** (ECI), from `marts.capability_gap`: per
--   index, comparison, leader, follower and year (a dense grid from the pair's first row to the year of the
--   index's last scored release). From the step rows: the leader's frontier steps that year, how many led,
--   how many the follower has caught up and how many stay open, and the median lag of the caught-up ones
--   (open steps are not in it, so recent years read low until they close: watch `open_steps`). From the month
--   rows: the mean gap over the year's months and the gap at the year's last month (December, or the last
--   month of data: "now").
-- column index_name: The capability index (`ECI`).
-- column comparison: us_vs_china, open_vs_closed or lab_vs_leader.
-- column leader: The leader (see `marts.capability_gap`).
-- column follower: The follower.
-- column year: Calendar year (of the step, or of the month measured).
-- column leader_steps: The leader's frontier steps that year.
-- column leading_steps: Of those, steps the follower had not reached on the day.
-- column caught_up_steps: Leading steps the follower has reached since.
-- column open_steps: Leading steps the follower has not reached yet.
-- column median_lag_days: Median `lag_days` of the caught-up steps (NULL when none).
-- column min_lag_days: Shortest of those lags.
-- column max_lag_days: Longest of those lags.
-- column months: Months measured that year (0 before the follower's first scored version).
-- column months_follower_ahead: Of those, months when the follower was ahead (no gap).
-- column mean_gap_days: Mean `gap_days` over the year's months with a gap.
-- column mean_gap_months: The same in months (30.4375 days).
-- column year_end_month: The year's last month measured.
-- column year_end_gap_days: `gap_days` in that month (NULL when the follower was ahead then).
-- column year_end_gap_months: The same in months.
-- column year_end_follower_ahead: Whether the follower was ahead in that month.
-- example: select comparison, year, round(year_end_gap_months, 1) as months_behind_at_year_end,
--   round(mean_gap_months, 1) as mean_months_behind, leading_steps, caught_up_steps, median_lag_days from
--   marts.capability_gap_yearly where (comparison, leader) in (('us_vs_china', 'US'), ('open_vs_closed',
--   'closed')) order by comparison desc, year
-- refresh scope: marts.capability_scores_checksum()

-- Refresh: reads core.capability_scores alone and is cheap to recompute: one group.
-- marts.capability_gap_yearly: "is the gap closing?" in one query, measured by a
-- capability index (ECI), from marts.capability_gap. Per index, comparison, leader,
-- follower and year (a dense grid from the pair's first row to the year of the index's
-- last scored release): the leader's frontier steps that year, how many led, how many the
-- follower has caught up and how many stay open, the median lag of the caught-up ones
-- (open steps are not in it, so recent years read low until they close: watch
-- `open_steps`); and from the month rows, the mean gap over the year's months and the gap
-- at the year's last month (December, or the last month of data: "now"), in days and in
-- months, with the months the follower was ahead (no gap to measure).
create or replace macro marts.capability_gap_yearly_of(as_of, src) as table
with gap as (select * from marts.capability_gap_in(as_of, src)),
spans as (
    select index_name, comparison, leader, follower, min(year(month)) as first_year
    from gap group by all
),
grid as (
    select s.index_name, s.comparison, s.leader, s.follower,
           unnest(range(s.first_year, year(l.last_released_on) + 1)) as year
    from spans s join marts.capability_last_release(as_of, src) l using (index_name)
),
steps as (
    select index_name, comparison, leader, follower, year(leader_reached_on) as year,
           count(*) as leader_steps,
           count(*) filter (where step_leads) as leading_steps,
           count(*) filter (where lag_days is not null) as caught_up_steps,
           count(*) filter (where step_leads and lag_days is null) as open_steps,
           median(lag_days)::double as median_lag_days,
           min(lag_days) as min_lag_days,
           max(lag_days) as max_lag_days
    from gap where row_kind = 'step' group by all
),
months as (
    select index_name, comparison, leader, follower, year(month) as year,
           count(*) as months,
           count(*) filter (where follower_ahead) as months_follower_ahead,
           avg(gap_days) as mean_gap_days,
           -- (from the days: an average of doubles would depend on the order rows are read in)
           avg(gap_days) / (365.25 / 12) as mean_gap_months,
           max(month) as year_end_month,
           arg_max_null(gap_days, month) as year_end_gap_days,
           arg_max_null(gap_months, month) as year_end_gap_months,
           arg_max_null(follower_ahead, month) as year_end_follower_ahead
    from gap where row_kind = 'month' group by all
)
select g.index_name, g.comparison, g.leader, g.follower, g.year::integer as year,
       coalesce(s.leader_steps, 0) as leader_steps,
       coalesce(s.leading_steps, 0) as leading_steps,
       coalesce(s.caught_up_steps, 0) as caught_up_steps,
       coalesce(s.open_steps, 0) as open_steps,
       s.median_lag_days, s.min_lag_days, s.max_lag_days,
       coalesce(m.months, 0) as months,
       coalesce(m.months_follower_ahead, 0) as months_follower_ahead,
       m.mean_gap_days, m.mean_gap_months,
       m.year_end_month, m.year_end_gap_days, m.year_end_gap_months, m.year_end_follower_ahead
from grid g
left join steps s using (index_name, comparison, leader, follower, year)
left join months m using (index_name, comparison, leader, follower, year)
order by g.index_name, g.comparison, g.leader, g.follower, g.year;

create or replace macro marts.capability_gap_yearly_as_of(as_of) as table
select * from marts.capability_gap_yearly_of(as_of, 'log');
