-- table: marts.catch_up_lag
-- doc:
--   For each frontier step by one group, the days until the first model of the rival group reached it, after
--   Epoch AI's compute-lag analyses ("how far behind are open models / Chinese models"). **Yardstick:
--   training compute**, not capability: `marts.capability_gap` measures the same comparisons on a capability
--   index, and the two disagree (*Yardsticks* above).
--
--   * **Groups.** `us_vs_china`: 'US' and 'China' by the developers' countries (`core.models.countries`).
--     **HK is folded into China** (the registry keeps HK as its own code, but for this comparison Hong Kong
--     organizations such as SenseTime, CUHK and HKUST are Chinese, as in US export-control treatment since
--     2020). A model with both US and Chinese developers belongs to neither side. `open_vs_closed`: 'open
--     weights' and 'closed' by `core.models.open_weights`; unknown accessibility is left out.
--     `lab_vs_leader`: the steps are `marts.frontier_timeline`'s compute records (the overall leader), the
--     step group is the record holder's organizations, and the rival is every other lab (any model none of
--     whose organizations made the step).
--   * **Step.** A model whose training compute exceeds that of every other model of its group launched on or
--     before its date. Models with unknown compute or launch date take no part.
--   * **Leads.** A step leads (`step_leads`) when no rival model had reached its compute by its date.
--   * **Lag.** For a leading step, `lag_days` = launch date of the first rival model with compute >= the
--     step's, minus the step's date; always > 0. A step no rival has reached stays **open**: `caught_up`
--     false, `lag_days` NULL (never 0), and `open_days` is how long it has stood so far (up to the last
--     launch date in the data; a lower bound on its lag).
--   * **Behind.** A step that does not lead has `caught_up` and `lag_days` NULL; `behind_days` = its date
--     minus the date the rival first reached its compute (how far behind the group was when it set its own
--     record; >= 0).
-- column comparison: us_vs_china, open_vs_closed or lab_vs_leader.
-- column step_group: The group that made the step (US, China, open weights, closed, or the record holder's
--   organization names).
-- column rival_group: The group that has to catch up (`other labs` for lab_vs_leader).
-- column model_id: The step's model.
-- column model: Its name.
-- column organization_ids: Its developers.
-- column countries: Its developers' countries.
-- column step_on: Its launch date.
-- column step_year: Year of `step_on`.
-- column training_compute_flop: Its training compute, FLOP.
-- column step_leads: True when no rival model had reached its compute by `step_on`.
-- column caught_up: For leading steps: true once a rival model reached it, false while open; NULL for steps
--   that did not lead.
-- column caught_up_on: Launch date of the first rival model to reach it.
-- column caught_up_by_model_id: That rival model.
-- column caught_up_by_model: Its name.
-- column caught_up_by_flop: Its training compute.
-- column lag_days: `caught_up_on - step_on` (> 0); NULL while open or when the step did not lead.
-- column open_days: For open steps: days from `step_on` to the last launch date in the data; else NULL.
-- column behind_days: For steps that did not lead: `step_on` minus the date the rival first reached its
--   compute (>= 0); else NULL.
-- example: select step_on, model, training_compute_flop, caught_up_by_model, lag_days, open_days from
--   marts.catch_up_lag where comparison = 'us_vs_china' and step_group = 'US' and step_on >= '2019-01-01'
--   order by step_on

-- marts.catch_up_lag: for each frontier step by one group, the days until the first model
-- of the rival group reached it (training compute >= the step's), after Epoch AI's
-- compute-lag analyses. Yardstick: training compute, not capability (marts.capability_gap
-- measures the same gaps on a capability index; the two disagree where a rival reaches a
-- capability with less compute, or spends compute without reaching it).
-- Comparisons: `us_vs_china` (groups 'US' and 'China' by the
-- developers' countries; HK is folded into China; a model with both US and Chinese
-- developers belongs to neither side), `open_vs_closed` ('open weights' and 'closed' by
-- core.models.open_weights; unknown access is left out) and `lab_vs_leader` (the steps
-- are marts.frontier_timeline's compute records, the rival is every other lab: any
-- model none of whose organizations made the step). A step is a model whose compute
-- exceeds every other model of its group launched on or before its date. It leads
-- (`step_leads`) when no rival model had reached its compute by that date; then
-- `lag_days` = first rival launch date with compute >= the step's minus the step's date
-- (always > 0), and a step no rival has reached stays open: caught_up false, lag_days
-- NULL, `open_days` the days it has stood so far (a lower bound). A step that does not
-- lead has caught_up and lag_days NULL and `behind_days` = its date minus the date the
-- rival first reached its compute (how far behind the group was, >= 0).
-- Models with unknown compute or launch date take no part.
create or replace macro marts.catch_up_members_of(as_of, src) as table
with m as (
    select model_id, model, organization_ids, countries, launched_on, open_weights,
           training_compute_flop as flop,
           list_contains(countries, 'US') as is_us,
           list_has_any(countries, ['CN', 'HK']) as is_china
    from core.models_in(as_of, src)
    where training_compute_flop is not null and launched_on is not null
)
select 'us_vs_china' as comparison, case when is_us then 'US' else 'China' end as grp, * exclude (is_us, is_china)
from m where is_us <> is_china
union all
select 'open_vs_closed', case when open_weights then 'open weights' else 'closed' end, * exclude (is_us, is_china)
from m where open_weights is not null;

create or replace macro marts.catch_up_members(as_of) as table
select * from marts.catch_up_members_of(as_of, 'log');

create or replace macro marts.catch_up_lag_of(as_of, src) as table
with members as (select * from marts.catch_up_members_of(as_of, src)),
-- Each group's frontier day by day (see marts.frontier_timeline): a step is the only
-- model of its group at its day's maximum, above every earlier day's maximum.
group_frontier as (
    select comparison, grp, launched_on, day_max,
           max(day_max) over (partition by comparison, grp order by launched_on
                              rows between unbounded preceding and 1 preceding) as before_max
    from (select comparison, grp, launched_on, max(flop) as day_max from members group by all)
),
group_steps as (
    select s.comparison, s.grp as step_group,
           case s.comparison when 'us_vs_china' then (case s.grp when 'US' then 'China' else 'US' end)
                             else (case s.grp when 'closed' then 'open weights' else 'closed' end) end as rival_group,
           s.model_id, s.model, s.organization_ids, s.countries, s.launched_on, s.flop
    from members s join group_frontier f using (comparison, grp, launched_on)
    where s.flop = f.day_max and (f.before_max is null or s.flop > f.before_max)
    qualify count(*) over (partition by s.comparison, s.grp, s.launched_on) = 1
),
labs as (
    select model_id, model, organization_ids, launched_on, training_compute_flop as flop
    from core.models_in(as_of, src)
    where training_compute_flop is not null and launched_on is not null and len(organization_ids) > 0
),
leader_steps as (
    select 'lab_vs_leader' as comparison,
           (select string_agg(o.name, ' & ' order by o.name) from core.organizations_in(as_of, src) o
            where list_contains(f.organization_ids, o.org_id)) as step_group,
           'other labs' as rival_group,
           f.model_id, f.model, f.organization_ids, f.countries, f.launched_on, f.training_compute_flop as flop
    from marts.frontier_timeline_in(as_of, src) f
    where f.is_compute_record and len(f.organization_ids) > 0
),
-- The first model of the rival side to reach each step's compute: for the group
-- comparisons, the other group; for a leading lab, any lab it is not part of.
rival_candidates as (
    select s.comparison, s.model_id, r.launched_on, r.model_id as rival_model_id, r.model, r.flop
    from group_steps s
    join members r on r.comparison = s.comparison and r.grp = s.rival_group and r.flop >= s.flop
    union all
    select s.comparison, s.model_id, r.launched_on, r.model_id, r.model, r.flop
    from leader_steps s
    join labs r on r.flop >= s.flop and not list_has_any(r.organization_ids, s.organization_ids)
),
rivals as (
    select comparison, model_id,
           min(launched_on) as rival_on,
           arg_min(rival_model_id, (launched_on, rival_model_id)) as rival_model_id,
           arg_min(model, (launched_on, rival_model_id)) as rival_model,
           arg_min(flop, (launched_on, rival_model_id)) as rival_flop
    from rival_candidates
    group by all
),
steps as (
    select s.*, r.* exclude (comparison, model_id)
    from (select * from group_steps union all by name select * from leader_steps) s
    left join rivals r using (comparison, model_id)
),
last_day as (select max(launched_on) as last_launch_on from core.models_in(as_of, src))
select comparison, step_group, rival_group,
       model_id, model, organization_ids, countries,
       launched_on as step_on, year(launched_on)::integer as step_year, flop as training_compute_flop,
       rival_on is null or rival_on > launched_on as step_leads,
       case when rival_on is null then false when rival_on > launched_on then true end as caught_up,
       case when rival_on > launched_on then rival_on end as caught_up_on,
       case when rival_on > launched_on then rival_model_id end as caught_up_by_model_id,
       case when rival_on > launched_on then rival_model end as caught_up_by_model,
       case when rival_on > launched_on then rival_flop end as caught_up_by_flop,
       case when rival_on > launched_on then (rival_on - launched_on)::integer end as lag_days,
       case when rival_on is null then ((select last_launch_on from last_day) - launched_on)::integer end as open_days,
       case when rival_on <= launched_on then (launched_on - rival_on)::integer end as behind_days
from steps
order by comparison, step_group, step_on, model_id;

create or replace macro marts.catch_up_lag_as_of(as_of) as table
select * from marts.catch_up_lag_of(as_of, 'log');
