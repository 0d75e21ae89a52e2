-- table: marts.policy_velocity
-- doc:
--   How fast each jurisdiction moves on AI policy. One row per jurisdiction, month, instrument and stage with
--   at least one policy change (each step of `core.policies.stages`, dated by its valid time; a month- or
--   year-precise date sits on its first day). The policy's jurisdiction and instrument are its latest ones.
-- column jurisdiction: Country code, `EU` or `INT`.
-- column month: First day of the month.
-- column instrument: The policy's instrument.
-- column stage: The stage reached by the change.
-- column changes: Policy steps that month with this instrument and stage.
-- column new_policies: Of those, steps that are a policy's first.
-- column jurisdiction_changes: All the jurisdiction's steps that month.
-- column jurisdiction_changes_12m: All its steps in the 12 months ending with this one.
-- column policy_ids: The policies (`core.policies.policy_id`).
-- example: select jurisdiction, sum(changes) as changes, sum(new_policies) as new_policies from
--   marts.policy_velocity where month >= '2023-01-01' group by jurisdiction order by changes desc,
--   jurisdiction limit 6
-- refresh kind: policy_month
-- refresh columns: jurisdiction month
-- refresh touched: marts.policy_velocity_touched_groups()
-- refresh scope: null

-- Refresh scope null: a row depends on its own group's changes only.
-- marts.policy_velocity: how fast each jurisdiction moves on AI policy. One row per
-- jurisdiction, month, instrument and stage with at least one policy change (each
-- policy.changed step of core.policies, dated by its valid time; a date known only to
-- the month or year sits on its first day). The policy's jurisdiction and instrument
-- are its latest ones (core.policies). `changes` counts steps, `new_policies` steps that
-- are a policy's first; `jurisdiction_changes` is the jurisdiction's total in that month
-- and `jurisdiction_changes_12m` its total over the 12 months ending with that month.

-- A row depends only on its jurisdiction's changes in the 12 months ending with its
-- month (the rolling total), so a change in month m moves that jurisdiction's rows of
-- months m to m + 11 and no other. An incremental refresh recomputes those
-- (jurisdiction, month) groups (kind 'policy_month' in projection_state.dirty) for the
-- steps of the policies it touches, as they were and as they are.
create or replace macro marts.policy_velocity_group(jurisdiction, month) as
    to_json([jurisdiction, month::varchar])::varchar;

create or replace macro marts.policy_velocity_touched_groups() as table
select distinct marts.policy_velocity_group(jurisdiction, (date_trunc('month', s.on)::date + to_months(k))::date)
from (select jurisdiction, unnest(stages) as s from core.policies
      where policy_id in (select key from core.dirty_keys('subject'))),
     range(12) as r(k);

create or replace macro marts.policy_velocity_of(as_of, src) as table
with dirty as (
    -- With src 'dirty': the groups to recompute, and the months of the changes they count.
    select key, key::json ->> 0 as jurisdiction, (key::json ->> 1)::date as month
    from core.dirty_keys('policy_month') where src = 'dirty'
),
needed as (
    select distinct d.jurisdiction, (d.month - to_months(k))::date as month from dirty d, range(12) as r(k)
),
steps as (
    select p.policy_id, p.jurisdiction, p.instrument,
           unnest(p.stages) as s, generate_subscripts(p.stages, 1) as step_number
    from core.policies_in(as_of, src) p
),
every_change as (
    select jurisdiction, instrument, s.stage as stage, date_trunc('month', s.on)::date as month,
           step_number = 1 as is_first, policy_id
    from steps
),
changes as (
    select * from every_change where src <> 'dirty'
    union all
    select c.* from every_change c semi join needed n
        on n.jurisdiction is not distinct from c.jurisdiction and n.month = c.month
    where src = 'dirty'
),
per_row as (
    select jurisdiction, month, instrument, stage,
           count(*) as changes,
           count(*) filter (where is_first) as new_policies,
           list(distinct policy_id order by policy_id) as policy_ids
    from (
        select * from changes where src <> 'dirty'
        union all
        -- (the rows of the groups recomputed; the months before them only count in the totals)
        select c.* from changes c semi join dirty d on d.jurisdiction is not distinct from c.jurisdiction and d.month = c.month
        where src = 'dirty'
    )
    group by all
),
months as (
    select jurisdiction, count(*) as changes, date_trunc('month', min(month))::date as first_month
    from changes group by jurisdiction
),
grid as (
    select m.jurisdiction,
           unnest(generate_series(m.first_month, (select max(month) from changes), interval 1 month))::date as month
    from months m
),
per_month as (
    select g.jurisdiction, g.month, coalesce(count(c.policy_id), 0) as jurisdiction_changes
    from grid g left join changes c on c.jurisdiction is not distinct from g.jurisdiction and c.month = g.month
    group by all
),
rolling as (
    select jurisdiction, month, jurisdiction_changes,
           (sum(jurisdiction_changes) over (partition by jurisdiction order by month
                                            rows between 11 preceding and current row))::bigint as jurisdiction_changes_12m
    from per_month
)
select r.jurisdiction, r.month, r.instrument, r.stage, r.changes, r.new_policies,
       m.jurisdiction_changes, m.jurisdiction_changes_12m, r.policy_ids
from per_row r
join rolling m on m.jurisdiction is not distinct from r.jurisdiction and m.month = r.month
order by r.month, r.jurisdiction, r.instrument, r.stage;

create or replace macro marts.policy_velocity_as_of(as_of) as table
select * from marts.policy_velocity_of(as_of, 'log');
