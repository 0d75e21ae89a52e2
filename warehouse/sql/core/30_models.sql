-- One row per model, however many sources report it. Events are matched on the
-- normalized model name (the slug in their subject, so "Llama 3-70B" and "Llama 3 70B"
-- meet) and then through core.model_alias_registry (warehouse/reference/model_aliases.csv)
-- for names that normalize apart. The launch date is the earliest any source gives;
-- other attributes come from the first-recorded event that states them.
-- "Earliest" compares the last day each date can stand for, and prefers the more
-- precise date on a tie: "September 2025" and "2025-09-30" agree, and the day wins.

create or replace macro core.model_launches_of(as_of, src) as table
select e.*,
       coalesce(a.model_id, substr(e.subject, 7)) as model_id
from core.effective_events_in(as_of, src) e
left join core.model_alias_registry a on a.alias_id = substr(e.subject, 7)
where e.event_type = 'model.launched';

create or replace macro core.model_launches(as_of) as table
select * from core.model_launches_of(as_of, 'log');

-- Materialized for the "now" build: one row per effective model.launched event.
create table if not exists projection_state.model_launches as
select * from core.model_launches('infinity') limit 0;

-- The launches an incremental refresh recomputed (those of the dirty events).
create table if not exists projection_state.recomputed_launches as
select * from core.model_launches('infinity') limit 0;

-- The stored side of core.model_launches_in (see core.effective_events_stored); with
-- src 'dirty', every launch event of the models a refresh touches: looked up by model
-- for the models core.models held before ('stored_model'), the recomputed ones for the
-- others (a model new to the table has no other launch).
create or replace macro core.model_launches_stored(src) as table
select * from projection_state.model_launches where src = 'state'
union all
select * from projection_state.model_launches
where src = 'dirty' and getvariable('stored_models') and model_id in (select key from core.dirty_keys('stored_model'))
union all
select * from projection_state.recomputed_launches
where src = 'dirty' and model_id in (select key from core.dirty_keys('model'))
  and model_id not in (select key from core.dirty_keys('stored_model'));

-- The reader the definitions call, stored side only while the files are read (binding
-- against it is cheap); define_macros adds the 'log' side (core.model_launches) at the end.
create or replace macro core.model_launches_in(as_of, src) as table select * from core.model_launches_stored(src);

-- The mentions of the launches core.models_of reads (their developers): with src
-- 'dirty', split as core.model_launches_stored splits the launches, rather than every
-- mention looked up by event.
create or replace macro core.launch_mentions_in(as_of, src) as table
select * from core.organization_mentions_in(as_of, core.all_rows_of(src)) where src <> 'dirty'
union all
select * from projection_state.organization_mentions
where src = 'dirty' and getvariable('stored_models') and event_id in (
    select event_id from projection_state.model_launches
    where model_id in (select key from core.dirty_keys('stored_model')))
union all
select * from projection_state.recomputed_mentions
where src = 'dirty' and event_id in (
    select event_id from projection_state.recomputed_launches
    where model_id not in (select key from core.dirty_keys('stored_model')));

create or replace macro core.models_of(as_of, src) as table
with launches as (select * from core.model_launches_in(as_of, src)),
developers as (
    select l.model_id,
           list(distinct m.org_id order by m.org_id) as organization_ids,
           list(distinct m.country order by m.country) filter (where m.country is not null) as countries
    from launches l join core.launch_mentions_in(as_of, src) m on m.event_id = l.event_id and m.role = 'developer'
    group by l.model_id
),
attributes as (
    select model_id,
           arg_min(payload ->> 'model', position) as model,
           arg_min(occurred_at, (core.period_end(occurred_at, occurred_precision), core.precision_rank(occurred_precision), position)) as launched_on,
           arg_min(occurred_precision, (core.period_end(occurred_at, occurred_precision), core.precision_rank(occurred_precision), position)) as launch_precision,
           arg_min(json_extract_string(payload, '$.organizations[*]'), position)
               filter (where json_array_length(payload, '$.organizations') > 0) as organizations,
           arg_min(json_extract_string(payload, '$.countries[*]'), position)
               filter (where json_array_length(payload, '$.countries') > 0) as source_countries,
           arg_min(core.flag(payload ->> 'open_weights'), position) filter (where core.flag(payload ->> 'open_weights') is not null) as open_weights,
           arg_min(payload ->> 'access', position) filter (where payload ->> 'access' is not null) as access,
           arg_min(payload ->> 'access_detail', position) filter (where payload ->> 'access_detail' is not null) as access_detail,
           arg_min(core.quantity(payload ->> 'parameters'), position) filter (where core.quantity(payload ->> 'parameters') is not null) as parameters,
           arg_min(core.quantity(payload ->> 'training_compute_flop'), position) filter (where core.quantity(payload ->> 'training_compute_flop') is not null) as training_compute_flop,
           arg_min(core.quantity(payload ->> 'training_dataset_size'), position) filter (where core.quantity(payload ->> 'training_dataset_size') is not null) as training_dataset_size,
           arg_min(json_extract_string(payload, '$.domains[*]'), position) filter (where json_array_length(payload, '$.domains') > 0) as domains,
           arg_min(json_extract_string(payload, '$.tasks[*]'), position) filter (where json_array_length(payload, '$.tasks') > 0) as tasks,
           bool_or(core.flag(payload ->> 'frontier')) as frontier,
           arg_min(payload ->> 'base_model', position) filter (where payload ->> 'base_model' is not null) as base_model,
           arg_min(payload ->> 'hardware', position) filter (where payload ->> 'hardware' is not null) as hardware,
           list(distinct source order by source) as sources,
           list(distinct source_url order by source_url) filter (where source_url is not null) as source_urls,
           list(event_id order by position) as event_ids,
           count(*) as launch_events,
           min(recorded_at) as first_recorded_at
    from launches
    group by model_id
)
select a.model_id,
       a.model,
       coalesce(a.organizations, []) as organizations,
       coalesce(d.organization_ids, []) as organization_ids,
       coalesce(d.countries, a.source_countries, []) as countries,
       a.launched_on,
       a.launch_precision,
       a.open_weights,
       a.access,
       a.access_detail,
       a.parameters,
       a.training_compute_flop,
       a.training_dataset_size,
       coalesce(a.domains, []) as domains,
       coalesce(a.tasks, []) as tasks,
       coalesce(a.frontier, false) as frontier,
       a.base_model,
       a.hardware,
       a.sources,
       coalesce(a.source_urls, []) as source_urls,
       a.event_ids,
       a.launch_events,
       a.first_recorded_at
from attributes a left join developers d using (model_id);

create or replace macro core.models_as_of(as_of) as table
select * from core.models_of(as_of, 'log');
