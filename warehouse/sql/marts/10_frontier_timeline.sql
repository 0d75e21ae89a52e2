-- table: marts.frontier_timeline
-- doc:
--   The frontier of training compute over time, who held it and for how long, beside three frontier flags
--   (Epoch's, the curated bundle's and ours). **Yardstick: training compute** (FLOP spent on training), not
--   capability: see `marts.capability_frontier` and *Yardsticks* above.
--
--   * **Compute record** (`is_compute_record`): a model whose `training_compute_flop` exceeds that of every
--     other model launched on or before its launch date (strictly; a tie sets no record). Models with unknown
--     compute never set a record. The record is held from the model's launch until the next record
--     (`held_until`).
--   * **Frontier flags**, each named by who sets it and never mixed: `epoch_frontier` is
--     `core.models.epoch_frontier`, Epoch AI's "Frontier model" column (Epoch's own curation of models near
--     the top of training compute when released, judged against its whole database; NULL where Epoch does not
--     list the model); `curated_frontier` is the curated bundle's hand judgment
--     (`core.models.curated_frontier`); `compute_frontier` is ours, by a written rule on the data: the
--     model's training compute is among the 10 largest known for models launched on or before its launch date
--     (itself included, ties at the 10th counting), after Epoch's description of its flag as the top 10 by
--     training compute when released. The flags cover models the record does not (a model can be frontier
--     without beating the record). One row per model that is a compute record or has any flag.
--
--   One row per model that is a compute record or is flagged by Epoch.
-- column model_id: The model.
-- column model: Its name.
-- column organizations: Developers as the source spells them.
-- column organization_ids: Developers (`core.organizations.org_id`).
-- column countries: Developers' countries.
-- column launched_on: Launch date.
-- column launch_precision: Precision of `launched_on`.
-- column training_compute_flop: Training compute, FLOP (NULL when unknown).
-- column open_weights: Open weights or not (NULL unknown).
-- column is_compute_record: True when it set a training-compute record (definition above).
-- column epoch_frontier: `core.models.epoch_frontier`: Epoch AI's own frontier flag (NULL: not in Epoch's
--   table).
-- column curated_frontier: `core.models.curated_frontier`: the curated bundle's hand judgment (NULL: not
--   curated).
-- column compute_frontier: Ours: among the 10 largest known training computes at its launch date (definition
--   above); false when compute is unknown.
-- column record_number: 1 for the first record, 2 for the next, ... (NULL when not a record).
-- column previous_record_model_id: The record it beat.
-- column previous_record_flop: That record's compute.
-- column improvement_factor: `training_compute_flop / previous_record_flop`.
-- column held_until: Launch date of the next record (NULL while it stands).
-- column held_days: `held_until - launched_on` (NULL while it stands).
-- column held_days_to_date: Days held, up to the last launch date in the data for the current record.
-- column is_current_record: True for the record that still stands.
-- column frontier_flop_at_launch: The highest known training compute of any model launched on or before this
--   one's date.
-- column share_of_frontier: `training_compute_flop / frontier_flop_at_launch` (1.0 for records; NULL when
--   compute unknown).
-- example: select launched_on, model, training_compute_flop, improvement_factor, held_days_to_date from
--   marts.frontier_timeline where is_compute_record and launched_on >= '2020-01-01' order by launched_on
-- refresh kind: frontier_day
-- refresh columns: launched_on
-- refresh touched: marts.frontier_timeline_touched_days()
-- refresh scope: marts.frontier_timeline_last_launch()

-- marts.frontier_timeline: the frontier of training compute over time, who held it and
-- for how long, beside Epoch AI's own frontier flag. Yardstick: training compute (what a
-- model's training cost, in FLOP), not capability: marts.capability_frontier measures
-- what models can do, on a capability index. A model is a compute record
-- (`is_compute_record`) when its training_compute_flop exceeds that of every other model
-- launched on or before its launch date (strictly: a tie sets no record); the record is
-- held from its launch until the next record (`held_until`; NULL while it stands).
-- Three frontier flags, each by whom it is set, never mixed: `epoch_frontier` is Epoch
-- AI's own "Frontier model" column (core.models.epoch_frontier; NULL where Epoch does not
-- list the model); `curated_frontier` the curated bundle's hand judgment
-- (core.models.curated_frontier); `compute_frontier` ours, by a written rule on the data:
-- the model's training compute is among the 10 largest known for models launched on or
-- before its launch date (itself included; ties at the 10th count), after Epoch's
-- description of its flag as the top 10 by training compute when released. One row per
-- model that is a compute record or has any of the flags; models with unknown compute
-- never set a record nor get compute_frontier.

-- The rows of models launched before the earliest launch date of the models a refresh
-- touches (as they were and as they are) keep their values, but for the last compute
-- record before that date (whose successor may change): an incremental refresh
-- recomputes the rows of that record's day and of the days from that date on (kind
-- 'frontier_day'), unless the last launch date moved (held_days_to_date counts to it).
create or replace macro marts.frontier_timeline_last_launch() as (select max(launched_on) from core.models);

create or replace macro marts.frontier_timeline_of(as_of, src) as table
with dirty as (
    select (key::json ->> 0)::date as day from core.dirty_keys('frontier_day') where src = 'dirty'
),
models as (
    select * from core.models_in(as_of, src) where launched_on is not null
),
known as (
    select model_id, launched_on, training_compute_flop as flop from models where training_compute_flop is not null
),
-- The 10 largest known computes launched on or before each model's day.
top_ten as (
    select model_id,
           flop >= list_min(max(flop, 10) over (order by launched_on range between unbounded preceding and current row)) as compute_frontier
    from known
),
-- The frontier day by day: each day's highest compute, the highest of all earlier days
-- and of all days up to it (one pass in date order, not a comparison of every pair).
frontier as (
    select launched_on, day_max,
           max(day_max) over (order by launched_on rows between unbounded preceding and 1 preceding) as before_max,
           max(day_max) over (order by launched_on rows between unbounded preceding and current row) as frontier_flop
    from (select launched_on, max(flop) as day_max from known group by launched_on)
),
records as (
    -- Above every other model launched on or before its date: the only model at its
    -- day's maximum, and above every earlier day's maximum.
    select k.* from known k join frontier f using (launched_on)
    where k.flop = f.day_max and (f.before_max is null or k.flop > f.before_max)
    qualify count(*) over (partition by k.launched_on) = 1
),
sequence as (
    select model_id,
           row_number() over w as record_number,
           lag(model_id) over w as previous_record_model_id,
           lag(flop) over w as previous_record_flop,
           lead(launched_on) over w as held_until
    from records
    window w as (order by launched_on)
),
last_day as (select max(launched_on) as last_launch_on from models)
select m.model_id, m.model, m.organizations, m.organization_ids, m.countries, m.launched_on, m.launch_precision,
       m.training_compute_flop, m.open_weights,
       s.model_id is not null as is_compute_record,
       m.epoch_frontier,
       m.curated_frontier,
       coalesce(t.compute_frontier, false) as compute_frontier,
       s.record_number,
       s.previous_record_model_id,
       s.previous_record_flop,
       m.training_compute_flop / s.previous_record_flop as improvement_factor,
       s.held_until,
       (s.held_until - m.launched_on)::integer as held_days,
       case when s.model_id is not null
            then (coalesce(s.held_until, (select last_launch_on from last_day)) - m.launched_on)::integer end as held_days_to_date,
       s.model_id is not null and s.held_until is null as is_current_record,
       f.frontier_flop as frontier_flop_at_launch,
       m.training_compute_flop / f.frontier_flop as share_of_frontier
from models m
left join sequence s using (model_id)
left join top_ten t using (model_id)
-- the frontier as of the launch date: the latest day with known compute on or before it
asof left join frontier f on m.launched_on >= f.launched_on
where (s.model_id is not null or m.epoch_frontier or m.curated_frontier or t.compute_frontier)
  and (src <> 'dirty' or m.launched_on in (select day from dirty))
order by m.launched_on, m.model_id;

create or replace macro marts.frontier_timeline_as_of(as_of) as table
select * from marts.frontier_timeline_of(as_of, 'log');
