-- table: marts.capability_frontier
-- doc:
--   The capability frontier month by month, **measured on a capability index** (Epoch AI's Capabilities
--   Index, ECI: results on dozens of benchmarks put on one scale), not in training compute: what models can
--   do, not what their training cost (see *Yardsticks* above). For each index, group and month: the best
--   score of any scored model version of the group released on or before the month's last day, and the
--   version holding it.
--
--   * **Groups** (`group_kind`): `overall` (every version; `group_name` 'all'), `country` (each of the
--     version's countries as the source gives them, ISO codes, HK its own code; joint work counts for each
--     country), `access` ('open weights' or 'closed' by `open_weights`; unknown access is left out) and
--     `organization` (each of the version's `organization_ids`).
--   * **Read from `core.capability_scores`**: versions with a score and a release date, grouped by the
--     version's own countries, access and organizations, so a version that links to no `core.models` row
--     still counts. Versions not scored yet, or without a release date, take no part.
--   * **Months, not days**: a dense grid from the group's first scored release to the month of the index's
--     last scored release, so "the best as of a month" is an equality join and groups line up month by month.
--     `held_since` keeps the exact day; `steps_in_month` counts every rise in the month, including a step
--     overtaken within its own month (which is counted, not shown).
--   * **Step**: a release day on which the group's best rises strictly above every earlier day's; its holder
--     is that day's highest-scored version (equal scores: the smallest `model_version`).
--   * Refreshed whole, only when `core.capability_scores` changes (a checksum of the columns it reads).
-- column index_name: The capability index (`ECI`).
-- column group_kind: overall, country, access or organization.
-- column group_name: 'all', an ISO country code, 'open weights' / 'closed', or an organization id.
-- column month: First day of the month.
-- column best_score: The group's best index score released on or before the month's last day.
-- column model_version: The version holding it (Epoch's model version, e.g. `gpt-5-2025-08-07_high`).
-- column model_name: Its model name as the source gives it.
-- column display_name: Its display name as the source gives it.
-- column organization_ids: Its developers (`core.organizations.org_id`).
-- column countries: Its developers' countries, as the source gives them.
-- column open_weights: Whether its weights are open (NULL unknown).
-- column held_since: Its release date: the day the group's best became this score.
-- column steps_in_month: How many times the group's best rose during the month (0: unchanged).
-- column gain_in_month: `best_score` minus the previous month's (NULL in the group's first month).
-- example: select group_name, month, round(best_score, 1) as best_score, model_name, held_since from
--   marts.capability_frontier where group_kind = 'country' and group_name in ('US', 'CN') and month >=
--   '2025-07-01' and steps_in_month > 0 order by month, group_name
-- refresh scope: marts.capability_scores_checksum()

-- Refresh: reads core.capability_scores alone and is cheap to recompute: one group.
-- marts.capability_frontier: the capability frontier month by month, measured by a
-- capability index (Epoch AI's Capabilities Index, ECI: dozens of benchmarks stitched
-- into one scale), not by training compute (marts.frontier_timeline): what the models
-- can do, not what their training cost. For each index, group and month, the best score
-- of any scored model version of the group released on or before the month's last day,
-- and the version holding it. Groups (`group_kind`): 'overall' (every version; group
-- 'all'), 'country' (each of the version's countries, ISO codes as the source gives
-- them: joint work counts for each, HK its own code), 'access' ('open weights' or
-- 'closed' by open_weights; unknown access is left out) and 'organization' (each of its
-- organization_ids). Read from core.capability_scores: versions with a score and a
-- release date, grouped by the version's own countries, access and organizations, so a
-- version that links to no core.models row still counts.
-- Months, not days: a dense grid from the group's first scored release to the month of
-- the index's last one, so "the best as of a month" is an equality join and groups line
-- up month by month. `held_since` keeps the exact day the holder was released, and
-- `steps_in_month` counts how many times the best rose within the month (a step overtaken
-- within its own month is counted, not shown).
-- A step is a release day on which the group's best rises strictly above every earlier
-- day's; its holder is that day's highest-scored version (equal scores: the smallest
-- model_version).
-- Refresh: the capability marts read core.capability_scores alone and are cheap, so an
-- incremental refresh recomputes them whole when that table's contents change
-- (marts.capability_scores_checksum()) and leaves them alone otherwise.

-- What the capability marts depend on, for an incremental refresh to tell whether
-- they must be recomputed: the row count and an order-independent 64-bit checksum of
-- every column they read (rows are unique: one per index and model version).
create or replace macro marts.capability_scores_checksum() as (
    select {'rows': count(*),
            'checksum': bit_xor(hash(index_name, model_version, model_name, display_name, score, released_on,
                                     organization_ids, countries, open_weights))}
    from core.capability_scores
);

-- The versions that take part: scored, with a release date.
create or replace macro marts.capability_scored(as_of, src) as table
select index_name, model_version, score, released_on, organization_ids, countries, open_weights
from core.capability_scores_in(as_of, src)
where score is not null and released_on is not null;

-- Every scored version with a release date, once per group it belongs to (narrow rows: a
-- version's names and lists are looked up for the steps alone). Kind 'us_vs_china' (used
-- by marts.capability_gap, not shown in this mart) splits them as marts.catch_up_lag
-- does: 'US' and 'China' by country, HK folded into China, a version with both US and
-- Chinese developers in neither.
create or replace macro marts.capability_members(as_of, src) as table
with scored as (select * from marts.capability_scored(as_of, src))
select 'overall' as group_kind, 'all' as group_name, index_name, model_version, score, released_on from scored
union all
-- (unnest in the select list: a lateral unnest in the from clause is planned as a join)
select 'country', unnest(list_distinct(countries)), index_name, model_version, score, released_on from scored
union all
select 'access', case when open_weights then 'open weights' else 'closed' end, index_name, model_version, score,
       released_on
from scored where open_weights is not null
union all
select 'organization', unnest(list_distinct(organization_ids)), index_name, model_version, score, released_on
from scored
union all
select 'us_vs_china', case when list_contains(countries, 'US') then 'US' else 'China' end, index_name, model_version,
       score, released_on
from scored where list_contains(countries, 'US') <> list_has_any(countries, ['CN', 'HK']);

-- A version's names and lists (one row per index and model version).
create or replace macro marts.capability_version(as_of, src) as table
select index_name, model_version, model_name, display_name, organization_ids, countries, open_weights
from core.capability_scores_in(as_of, src);

-- The frontier steps of every group: release days on which the group's best rose
-- strictly above every earlier day's, with that day's highest-scored version.
create or replace macro marts.capability_group_steps(as_of, src) as table
with day_tops as (
    -- each group's best version of each release day (equal scores: the smallest model_version)
    select index_name, group_kind, group_name, released_on, max(score) as score,
           arg_min(model_version, (-score, model_version)) as model_version
    from marts.capability_members(as_of, src)
    group by all
),
steps as (
    select * from (
        select *, max(score) over (partition by index_name, group_kind, group_name order by released_on
                                   rows between unbounded preceding and 1 preceding) as previous_best
        from day_tops)
    where previous_best is null or score > previous_best
)
select s.*, v.* exclude (index_name, model_version)
from steps s join marts.capability_version(as_of, src) v using (index_name, model_version);

-- The last scored release of each index: where every monthly grid ends.
create or replace macro marts.capability_last_release(as_of, src) as table
select index_name, max(released_on) as last_released_on from marts.capability_scored(as_of, src) group by index_name;

create or replace macro marts.capability_frontier_of(as_of, src) as table
-- (each month with a step, spread over the months until the next: no month-by-month lookup)
with month_steps as (
    -- the holder at the end of each month with a step (its last step), and how many steps
    select *, date_trunc('month', released_on)::date as step_month,
           count(*) over (partition by index_name, group_kind, group_name, date_trunc('month', released_on))
               as steps_in_month
    from marts.capability_group_steps(as_of, src)
    where group_kind <> 'us_vs_china'
    qualify row_number() over (partition by index_name, group_kind, group_name, date_trunc('month', released_on)
                               order by released_on desc) = 1
),
held as (
    select m.*, m.score - lag(m.score) over w as step_gain,
           coalesce(lead(m.step_month) over w - interval 1 month,
                    date_trunc('month', l.last_released_on))::date as last_month_held
    from month_steps m join marts.capability_last_release(as_of, src) l using (index_name)
    window w as (partition by m.index_name, m.group_kind, m.group_name order by m.step_month)
),
months as (
    select *, unnest(generate_series(step_month, last_month_held, interval 1 month))::date as month from held
)
select index_name, group_kind, group_name, month, score as best_score,
       model_version, model_name, display_name, organization_ids, countries, open_weights,
       released_on as held_since,
       case when month = step_month then steps_in_month else 0 end as steps_in_month,
       case when month = step_month then step_gain else 0.0 end as gain_in_month
from months;

create or replace macro marts.capability_frontier_as_of(as_of) as table
select * from marts.capability_frontier_of(as_of, 'log');
