-- table: marts.capability_gap
-- doc:
--   How far behind the follower is, in time, **measured on a capability index** (ECI), not in training
--   compute (`marts.catch_up_lag`): the time between the leader reaching a capability level and the follower
--   reaching the same level.
--
--   * **Comparisons** (leader -> follower). `us_vs_china`: 'US' and 'China' by the versions' countries, **HK
--     folded into China**, a version with both US and Chinese developers in neither (as
--     `marts.catch_up_lag`), in both directions. `open_vs_closed`: 'closed' and 'open weights' by
--     `open_weights`, unknown access left out, in both directions. `lab_vs_leader`: the follower is each
--     organization with a scored version; the leader ('leading lab') is every version none of whose
--     developers is the follower, so the leader at any moment is whichever other lab was ahead
--     (`leader_organization_ids` names it).
--   * **`row_kind` 'step'**: each frontier step of the leader (a release day on which the leader's best rose
--     strictly above every earlier day's; the day's best version), and the first day the follower released a
--     version scoring at least as much (`follower_reached_on`). The step **leads** (`step_leads`) when the
--     follower had not reached it by that day; then `lag_days` = `follower_reached_on - leader_reached_on`,
--     always > 0, and NULL while the follower has not reached it (never 0, never negative): `open_days` says
--     how long it has stood (to the index's last scored release; a lower bound). A step that did not lead has
--     `lag_days` NULL. A follower's first scored version catches up every earlier step at once, so its first
--     lags mostly say when it entered (or when Epoch began to score it).
--   * **`row_kind` 'month'**: for each month from the follower's first scored release to the month of the
--     index's last, the follower's best as of the month's end (`measured_on`: the month's last day, or the
--     index's last scored release in its last month) and how long before that the leader first reached it:
--     `gap_days` = `measured_on - leader_reached_on` (>= 0; it grows while the follower stands still and
--     drops when it steps up), `gap_months` = `gap_days / 30.4375` (365.25 / 12). NULL with `follower_ahead`
--     when the leader had not reached the follower's best by then. `gap_is_lower_bound`: the follower's best
--     is below the leader's first scored version, so the leader got there on or before `leader_reached_on`
--     (ECI scores start in 2023).
--   * Every row is a capability level (`level_score`): the leader's step, or the follower's best. Versions
--     without a score or a release date take no part. Refreshed whole, only when `core.capability_scores`
--     changes.
-- column index_name: The capability index (`ECI`).
-- column comparison: us_vs_china, open_vs_closed or lab_vs_leader.
-- column leader: US, China, closed, open weights, or 'leading lab' (every other lab).
-- column follower: China, US, open weights, closed, or an organization id.
-- column row_kind: 'step' (a leader's frontier step) or 'month' (the follower's current gap).
-- column month: Step rows: first day of the step's month; month rows: the month measured.
-- column level_score: The capability level: the leader's step score, or the follower's best that month.
-- column leader_model_version: The leader's version that reached the level first (the step; for a month, the
--   first leader step at or above the follower's best). NULL while the follower is ahead.
-- column leader_model_name: Its model name.
-- column leader_organization_ids: Its developers: for lab_vs_leader, the lab that was ahead.
-- column leader_reached_on: Its release date: when the leader reached the level.
-- column follower_model_version: Step rows: the follower's first version at or above the level (NULL: not
--   reached); month rows: the version holding the follower's best.
-- column follower_model_name: Its model name.
-- column follower_reached_on: Its release date: when the follower reached the level.
-- column step_leads: Step rows: true when the follower had not reached the level by `leader_reached_on`. NULL
--   for month rows.
-- column lag_days: Step rows: `follower_reached_on - leader_reached_on` for leading steps the follower has
--   reached (> 0); else NULL.
-- column open_days: Step rows: for steps the follower has not reached, days from the step to the index's last
--   scored release; else NULL.
-- column measured_on: Month rows: the day measured (the month's last day, or the index's last scored
--   release). NULL for step rows.
-- column gap_days: Month rows: `measured_on - leader_reached_on` (>= 0); NULL when the follower is ahead.
-- column gap_months: Month rows: `gap_days / 30.4375`.
-- column follower_ahead: Month rows: true when the leader had not reached the follower's best by
--   `measured_on`.
-- column gap_is_lower_bound: Month rows: true when the follower's best is below the leader's first scored
--   version (the true gap may be longer).
-- example: select measured_on, round(level_score, 1) as china_best, follower_model_name, leader_model_name,
--   leader_reached_on, gap_days, round(gap_months, 1) as gap_months from marts.capability_gap where
--   comparison = 'us_vs_china' and leader = 'US' and row_kind = 'month' and month >= '2025-09-01' order by
--   month
-- refresh scope: marts.capability_scores_checksum()

-- Refresh: reads core.capability_scores alone and is cheap to recompute: one group.
-- marts.capability_gap: how far behind the follower is, in time, measured by a capability
-- index (Epoch AI's ECI), not by training compute (marts.catch_up_lag): the time between
-- the leader reaching a capability level and the follower reaching the same level.
-- Comparisons, each in both directions for the two-sided ones (leader -> follower):
-- `us_vs_china` ('US' and 'China' by the versions' countries, HK folded into China, a
-- version with both US and Chinese developers in neither, as marts.catch_up_lag),
-- `open_vs_closed` ('closed' and 'open weights' by open_weights; unknown access left out)
-- and `lab_vs_leader` (follower: each organization with a scored version; leader 'leading
-- lab': every version none of whose developers is the follower, so the leader at any
-- moment is whichever other lab was ahead; leader_organization_ids names it).
-- Two kinds of rows (`row_kind`):
--  * 'step': each frontier step of the leader (a release day on which the leader's best
--    rose strictly above every earlier day's; the day's best version) and the first day
--    the follower released a version scoring at least as much (`follower_reached_on`).
--    The step leads (`step_leads`) when the follower had not reached it by that day; then
--    `lag_days` = follower_reached_on - leader_reached_on (always > 0), NULL while the
--    follower has not reached it (`open_days`: how long it has stood, to the index's last
--    scored release; a lower bound). A step that did not lead has lag_days NULL.
--  * 'month': for each month from the follower's first scored release to the index's last,
--    the follower's best as of the month's end (`measured_on`: the month's last day, or the
--    index's last scored release in its last month) and how long before that the leader
--    first reached it: `gap_days` = measured_on - leader_reached_on (>= 0; it grows while
--    the follower stands still and drops when it steps up). NULL with `follower_ahead`
--    when the leader had not reached the follower's best by then.
-- Every row is a capability level (`level_score`): the leader's step, or the follower's
-- best. Versions with no score or no release date take no part. Recomputed whole (see
-- marts.capability_frontier).
create or replace macro marts.capability_gap_of(as_of, src) as table
with steps as (select * from marts.capability_group_steps(as_of, src) where group_kind <> 'country'),
last_release as (select * from marts.capability_last_release(as_of, src)),
pairs as (
    select * from (values ('us_vs_china', 'us_vs_china', 'US', 'China'), ('us_vs_china', 'us_vs_china', 'China', 'US'),
                          ('open_vs_closed', 'access', 'closed', 'open weights'),
                          ('open_vs_closed', 'access', 'open weights', 'closed'))
        as p(comparison, group_kind, leader, follower)
),
labs as (select index_name, group_name as org_id from steps where group_kind = 'organization' group by all),
overall as (select * exclude (group_kind, group_name) from steps where group_kind = 'overall'),
-- The labs that made (alone or jointly) a step of the overall frontier. For any other
-- lab the frontier of everyone else is the overall frontier itself.
holders as (select distinct index_name, unnest(organization_ids) as org_id from overall),
-- For a holder, the frontier of everyone else is found among the versions that beat every
-- earlier version with the same developers: any other version is beaten by an earlier one
-- that the lab is equally part of, or not.
developer_set_day_tops as (
    select index_name, organization_ids, released_on, max(score) as score,
           arg_min(model_version, (-score, model_version)) as model_version
    from marts.capability_scored(as_of, src)
    group by all
),
developer_set_steps as (
    select * exclude (previous_best) from (
        select *, max(score) over (partition by index_name, organization_ids order by released_on
                                   rows between unbounded preceding and 1 preceding) as previous_best
        from developer_set_day_tops)
    where previous_best is null or score > previous_best
),
others_day_tops as (
    select h.org_id as follower, d.*
    from holders h join developer_set_steps d using (index_name)
    where not list_contains(d.organization_ids, h.org_id)
    qualify row_number() over (partition by d.index_name, h.org_id, d.released_on
                               order by d.score desc, d.model_version) = 1
),
others_steps as (
    select s.*, v.* exclude (index_name, model_version, organization_ids) from (
        select *, max(score) over (partition by index_name, follower order by released_on
                                   rows between unbounded preceding and 1 preceding) as previous_best
        from others_day_tops) s
    join marts.capability_version(as_of, src) v using (index_name, model_version)
    where previous_best is null or score > previous_best
),
leader_steps as (
    select p.comparison, p.leader, p.follower, s.* exclude (group_kind, group_name)
    from pairs p join steps s on s.group_kind = p.group_kind and s.group_name = p.leader
    union all by name
    select 'lab_vs_leader' as comparison, 'leading lab' as leader, l.org_id as follower, o.*
    from labs l join overall o using (index_name)
    anti join holders h on h.index_name = l.index_name and h.org_id = l.org_id
    union all by name
    select 'lab_vs_leader' as comparison, 'leading lab' as leader, follower, * exclude (follower)
    from others_steps
),
follower_steps as (
    select p.comparison, p.leader, p.follower, s.* exclude (group_kind, group_name)
    from pairs p join steps s on s.group_kind = p.group_kind and s.group_name = p.follower
    union all by name
    select 'lab_vs_leader' as comparison, 'leading lab' as leader, group_name as follower, * exclude (group_kind, group_name)
    from steps where group_kind = 'organization'
),
step_rows as (
    -- the follower's first step at or above the leader's step: its first release reaching it
    select l.index_name, l.comparison, l.leader, l.follower, 'step' as row_kind,
           date_trunc('month', l.released_on)::date as month,
           l.score as level_score,
           l.model_version as leader_model_version, l.model_name as leader_model_name,
           l.organization_ids as leader_organization_ids, l.released_on as leader_reached_on,
           f.model_version as follower_model_version, f.model_name as follower_model_name,
           f.released_on as follower_reached_on,
           f.released_on is null or f.released_on > l.released_on as step_leads,
           case when f.released_on > l.released_on then (f.released_on - l.released_on)::integer end as lag_days,
           case when f.released_on is null then (r.last_released_on - l.released_on)::integer end as open_days,
           null::date as measured_on, null::integer as gap_days, null::double as gap_months,
           null::boolean as follower_ahead, null::boolean as gap_is_lower_bound
    from leader_steps l
    join last_release r using (index_name)
    asof left join follower_steps f
      on f.index_name = l.index_name and f.comparison = l.comparison and f.leader = l.leader
     and f.follower = l.follower and l.score <= f.score
),
follower_months as (
    -- the follower's best at the end of each month with a step (its last step), held until
    -- the month before its next such month, or the index's last month
    select *, date_trunc('month', released_on)::date as step_month
    from follower_steps
    qualify row_number() over (partition by index_name, comparison, leader, follower, date_trunc('month', released_on)
                               order by released_on desc) = 1
),
follower_best as (
    select f.*, r.last_released_on,
           coalesce(lead(f.step_month) over (partition by f.index_name, f.comparison, f.leader, f.follower
                                             order by f.step_month) - interval 1 month,
                    date_trunc('month', r.last_released_on))::date as last_month_held
    from follower_months f join last_release r using (index_name)
),
leader_reach as (
    -- the leader's first step at or above that best (it may come after some of the months)
    select b.index_name, b.comparison, b.leader, b.follower, b.step_month, b.last_month_held, b.last_released_on,
           b.score as level_score, b.model_version as follower_model_version, b.model_name as follower_model_name,
           b.released_on as follower_reached_on,
           l.model_version as leader_model_version, l.model_name as leader_model_name,
           l.organization_ids as leader_organization_ids, l.released_on as leader_reached_on,
           -- (the leader's data starts above the level: it may have got there before)
           l.previous_best is null and b.score < l.score as before_leader_data
    from follower_best b
    asof left join leader_steps l
      on l.index_name = b.index_name and l.comparison = b.comparison and l.leader = b.leader
     and l.follower = b.follower and b.score <= l.score
),
measured as (
    select *, least(last_day(month), last_released_on) as measured_on
    from (select *, unnest(generate_series(step_month, last_month_held, interval 1 month))::date as month
          from leader_reach)
),
month_rows as (
    select index_name, comparison, leader, follower, 'month' as row_kind, month, level_score,
           case when reached then leader_model_version end as leader_model_version,
           case when reached then leader_model_name end as leader_model_name,
           case when reached then leader_organization_ids end as leader_organization_ids,
           case when reached then leader_reached_on end as leader_reached_on,
           follower_model_version, follower_model_name, follower_reached_on,
           null::boolean as step_leads, null::integer as lag_days, null::integer as open_days,
           measured_on,
           case when reached then (measured_on - leader_reached_on)::integer end as gap_days,
           case when reached then (measured_on - leader_reached_on) / (365.25 / 12) end as gap_months,
           not reached as follower_ahead,
           case when reached then before_leader_data end as gap_is_lower_bound
    -- (a leader step after the day measured had not happened yet: the follower was ahead then)
    from (select *, coalesce(leader_reached_on <= measured_on, false) as reached from measured)
)
select * from step_rows
union all by name
select * from month_rows;

create or replace macro marts.capability_gap_as_of(as_of) as table
select * from marts.capability_gap_of(as_of, 'log');
