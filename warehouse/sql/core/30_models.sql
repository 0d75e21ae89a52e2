-- table: core.models
-- doc:
--   One row per model, however many sources report it (Epoch AI's notable-models table, the curated bundle,
--   feeds). The identity rule (one place: `core.model_key` and `core.model_launches_of`;
--   `core.model_identity` shows it per event): an event's model is the key of the name it gives
--   (`core.model_key`: case, accents, punctuation, spacing and a `.0` minor version ignored; `+`, version
--   numbers, sizes and suffixes kept, so PointNet++ is not PointNet), unless
--   `warehouse/reference/model_aliases.csv` maps that key to another model, for any developer or only when
--   the event names the alias's organization (the organization is part of the key: the curated "GPT-3" by
--   OpenAI is Epoch's "GPT-3 175B (davinci)"). The launch date is the earliest any source gives (comparing
--   the last day each date can stand for; the more precise date wins a tie); other attributes come from the
--   first-recorded event that states them. Corrections are applied and retracted events removed. Empty source
--   cells are unknown (NULL), never 0.
-- column model_id: Stable id: `core.model_key` of the model name (or of its alias target).
-- column model: The name whose key the id is, when a source gives it; else the name first recorded.
-- column organizations: Developing organizations as the source spells them.
-- column organization_ids: Developing organizations resolved to `core.organizations.org_id` (sorted).
-- column countries: Every country the sources give for the model (Epoch's `Country (of organization)` list
--   whole, the union over sources; a model of two countries is in both); the developers' registry countries
--   only where no source gives one. HK separate from CN.
-- column countries_from: `source` (the countries are the sources'), `registry` (no source gave one: the
--   developers' registry countries) or NULL (none known).
-- column launched_on: Launch (publication) date; a month- or year-precise date sits on the first day of its
--   month/year.
-- column launch_precision: Precision of `launched_on`: day, month or year.
-- column open_weights: True when the weights are downloadable (any licence), false when not, NULL when
--   unknown.
-- column access: open_weights, api, hosted or unreleased (NULL when unknown).
-- column access_detail: The source's own accessibility wording (e.g. Epoch's 'Open weights
--   (non-commercial)').
-- column parameters: Parameter count (NULL when unknown).
-- column training_compute_flop: Training compute in FLOP (NULL when unknown).
-- column training_dataset_size: Training dataset size in Epoch's units (datapoints/tokens; NULL when
--   unknown).
-- column domains: Domains (language, vision, games, ...).
-- column tasks: Tasks (as listed by the source).
-- column epoch_frontier: Epoch AI's own 'Frontier model' column, as Epoch gives it: true when flagged, false
--   when Epoch lists the model unflagged, NULL when Epoch does not list the model. Never set by another
--   source.
-- column curated_frontier: The curated bundle's hand judgment (its events' `frontier`): true/false, NULL when
--   the curated bundle does not list the model. Kept apart from Epoch's. Our computed flag (top 10 by
--   training compute at release) is `marts.frontier_timeline.compute_frontier`.
-- column base_model: The model it was fine-tuned from, when stated.
-- column hardware: Training hardware, when stated.
-- column sources: Sources that report this model (e.g. epoch-ai, curated).
-- column source_urls: Provenance URLs of those events.
-- column event_ids: The `model.launched` events behind this row, in log order.
-- column launch_events: Number of those events.
-- column first_recorded_at: When airace first recorded the model (record time).
-- example: select model_id, launched_on, organization_ids, countries, open_weights, training_compute_flop,
--   epoch_frontier, curated_frontier from core.models where model_id in ('glm-4-6', 'glm-5', 'gpt-4') order
--   by launched_on
-- refresh kind: model
-- refresh columns: model_id
-- refresh stored: stored_model

-- One row per model, however many sources report it. The identity rule (written once,
-- here and in core.model_key): an event's model is the key of the name it gives
-- (core.model_key: "+", versions and sizes kept; case, accents, punctuation and a ".0"
-- ignored), unless warehouse/reference/model_aliases.csv maps that key to another model,
-- either for any developer or only when the event names the alias's organization
-- (the organization is part of the key: a homonym from another developer stays apart).
-- The subject slug the event was logged under is not used (it dropped "+": PointNet++
-- and PointNet had one). core.model_identity shows which event became which model, and why.
-- The launch date is the earliest any source gives;
-- other attributes come from the first-recorded event that states them.
-- "Earliest" compares the last day each date can stand for, and prefers the more
-- precise date on a tie: "September 2025" and "2025-09-30" agree, and the day wins.

-- The alias registry keyed as names are (both sides through core.model_key, so the file
-- may spell names as people write them). Materialized with the definitions, as the
-- organizations' alias keys are.
create or replace table projection_state.model_alias_keys as
select core.model_key(alias_id) as alias_key, core.model_key(model_id) as model_id, organization, note
from core.model_alias_registry;

-- A model by name alone: what other tables that link to models (capability scores)
-- call; aliases restricted to an organization are not applied without one.
create or replace macro core.model_id_of(name) as
    coalesce((select any_value(a.model_id) from projection_state.model_alias_keys a
              where a.alias_key = core.model_key(name) and a.organization is null), core.model_key(name));

-- The developers of the events being keyed: every mention ('log', 'state'), or those
-- an incremental refresh recomputed ('dirty', the events it recomputes).
create or replace macro core.keyed_event_mentions(as_of, src) as table
select event_id, org_id from core.organization_mentions_in(as_of, core.all_rows_of(src))
where src <> 'dirty' and role = 'developer'
union all
select event_id, org_id from projection_state.recomputed_mentions where src = 'dirty' and role = 'developer';

create or replace macro core.model_launches_of(as_of, src) as table
with launches as (
    select e.*, core.model_key(e.payload ->> 'model') as name_key
    from core.effective_events_in(as_of, src) e
    where e.event_type = 'model.launched'
),
by_organization as (
    select l.event_id, arg_min(a.model_id, a.organization) as model_id, arg_min(a.note, a.organization) as note
    from launches l
    join projection_state.model_alias_keys a on a.alias_key = l.name_key and a.organization is not null
    join core.keyed_event_mentions(as_of, src) m on m.event_id = l.event_id and m.org_id = a.organization
    group by l.event_id
)
select l.* exclude (name_key),
       coalesce(o.model_id, a.model_id, l.name_key) as model_id,
       l.name_key,
       case when o.model_id is not null then 'alias for organization'
            when a.model_id is not null then 'alias' else 'name' end as identity_rule,
       coalesce(o.note, a.note) as identity_note
from launches l
left join by_organization o using (event_id)
left join projection_state.model_alias_keys a on a.alias_key = l.name_key and a.organization is null;

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
           -- The name whose key the model id is (Epoch's "GPT-3 175B (davinci)" over the
           -- curated "GPT-3" it is an alias of), else the first recorded.
           arg_min(payload ->> 'model', (name_key <> model_id, position)) as model,
           arg_min(occurred_at, (core.period_end(occurred_at, occurred_precision), core.precision_rank(occurred_precision), position)) as launched_on,
           arg_min(occurred_precision, (core.period_end(occurred_at, occurred_precision), core.precision_rank(occurred_precision), position)) as launch_precision,
           arg_min(json_extract_string(payload, '$.organizations[*]'), position)
               filter (where json_array_length(payload, '$.organizations') > 0) as organizations,
           -- Every country any source gives (Epoch's own country list included whole).
           list_sort(list_distinct(flatten(list(json_extract_string(payload, '$.countries[*]'))))) as source_countries,
           arg_min(core.flag(payload ->> 'open_weights'), position) filter (where core.flag(payload ->> 'open_weights') is not null) as open_weights,
           arg_min(payload ->> 'access', position) filter (where payload ->> 'access' is not null) as access,
           arg_min(payload ->> 'access_detail', position) filter (where payload ->> 'access_detail' is not null) as access_detail,
           arg_min(core.quantity(payload ->> 'parameters'), position) filter (where core.quantity(payload ->> 'parameters') is not null) as parameters,
           arg_min(core.quantity(payload ->> 'training_compute_flop'), position) filter (where core.quantity(payload ->> 'training_compute_flop') is not null) as training_compute_flop,
           arg_min(core.quantity(payload ->> 'training_dataset_size'), position) filter (where core.quantity(payload ->> 'training_dataset_size') is not null) as training_dataset_size,
           arg_min(json_extract_string(payload, '$.domains[*]'), position) filter (where json_array_length(payload, '$.domains') > 0) as domains,
           arg_min(json_extract_string(payload, '$.tasks[*]'), position) filter (where json_array_length(payload, '$.tasks') > 0) as tasks,
           -- Flags kept apart by who set them (never mixed): Epoch's own "Frontier model"
           -- column (true, or false when Epoch lists the model unflagged; NULL when Epoch
           -- does not list it), and the curated bundle's hand judgment likewise.
           bool_or(coalesce(core.flag(payload ->> 'frontier'), false)) filter (where source = 'epoch-ai') as epoch_frontier,
           bool_or(coalesce(core.flag(payload ->> 'frontier'), false)) filter (where source = 'curated') as curated_frontier,
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
       -- The countries the sources give, all of them; the developers' registry countries
       -- only where no source gives one.
       case when len(a.source_countries) > 0 then a.source_countries else coalesce(d.countries, []) end as countries,
       case when len(a.source_countries) > 0 then 'source' when len(d.countries) > 0 then 'registry' end as countries_from,
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
       a.epoch_frontier,
       a.curated_frontier,
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
