-- table: core.model_conflicts
-- doc:
--   Where sources disagree on a model's launch date: one row per model and source, for models where two
--   sources give periods that do not overlap ("2025-09" and "2025-09-30" agree; "2025-09-30" and "2025-10-02"
--   do not). `kept` marks the date `core.models` shows (the earliest).
-- column model_id: The model (`core.models.model_id`).
-- column field: The disputed field (`launched_on`).
-- column source: The source giving this value.
-- column value: That source's value, as text.
-- column precision: Precision of that source's date.
-- column event_id: The event carrying the value.
-- column kept: True for the value `core.models` keeps.
-- example: select model_id, source, value, precision, kept from core.model_conflicts order by model_id,
--   source limit 6
-- refresh kind: model
-- refresh columns: model_id
-- refresh stored: stored_model

-- Where sources disagree on a model's launch date: one row per model and source, for
-- models where two sources give periods that do not overlap ("2025-09" and
-- "2025-09-30" agree; "2025-09-30" and "2025-10-02" do not). `kept` marks the date
-- core.models shows.
create or replace macro core.model_conflicts_of(as_of, src) as table
with per_source as (
    select model_id, source,
           arg_min(occurred_at, (core.period_end(occurred_at, occurred_precision), core.precision_rank(occurred_precision), position)) as launched_on,
           arg_min(occurred_precision, (core.period_end(occurred_at, occurred_precision), core.precision_rank(occurred_precision), position)) as precision,
           arg_min(event_id, (core.period_end(occurred_at, occurred_precision), core.precision_rank(occurred_precision), position)) as event_id
    from core.model_launches_in(as_of, src)
    group by model_id, source
),
disputed as (
    select model_id from per_source group by model_id
    having max(launched_on) > min(core.period_end(launched_on, precision))
)
select p.model_id, 'launched_on' as field, p.source, p.launched_on::varchar as value, p.precision, p.event_id,
       p.launched_on = m.launched_on and p.precision = m.launch_precision as kept
from per_source p join disputed using (model_id) join core.models_in(as_of, src) m using (model_id)
order by p.model_id, p.source;

create or replace macro core.model_conflicts_as_of(as_of) as table
select * from core.model_conflicts_of(as_of, 'log');
