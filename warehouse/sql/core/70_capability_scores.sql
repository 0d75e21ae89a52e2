-- table: core.capability_scores
-- doc:
--   One row per model version scored on a capability index: Epoch AI's Capabilities Index (ECI, source
--   `epoch-eci`, one `capability.scored` event per row of Epoch's table), with Epoch's later re-fits applied
--   as corrections. A version is one reasoning effort, API date stamp or host of a model
--   (`gpt-5-2025-08-07_high`); versions without a score yet are kept (`score` NULL). Each version is linked
--   to `core.models` by the identity rule every source shares: its model name (else its version name)
--   normalized as model ids are (`core.model_key`), through `warehouse/reference/model_aliases.csv`, to a
--   model that exists and shares a developer with the version (or has none known). `link_rule` says which
--   rule linked it, or why none did; unlinked versions are listed in `core.capability_unlinked` and still
--   carry their own organizations and countries.
-- column event_id: The version's `capability.scored` event.
-- column index_name: The index: `ECI`.
-- column model_version: Epoch's model version (its natural key), e.g. `gpt-5-2025-08-07_high`.
-- column model_name: Epoch's model name (NULL when Epoch gives none).
-- column display_name: Epoch's display name (NULL when none).
-- column score: The index score (ECI units; higher is more capable). NULL = not scored yet, never 0.
-- column released_on: Release date as Epoch gives it (NULL when unknown).
-- column organization_ids: Developers resolved to `core.organizations.org_id` (sorted).
-- column organizations: Developers as Epoch spells them.
-- column countries: ISO codes of the developers' countries as Epoch gives them (HK separate from CN).
-- column open_weights: True for open weights (any licence), false for API/hosted/unreleased, NULL when
--   unknown.
-- column access: open_weights, api, hosted or unreleased (NULL when unknown).
-- column confidence: Epoch's confidence label as given: Confident, Likely, Speculative, Unknown or
--   Unverified.
-- column training_compute_flop: Training compute in FLOP as Epoch gives it (NULL when unknown).
-- column model_id: The `core.models.model_id` the version links to; NULL when it links to none.
-- column link_rule: How it linked ('linked by model name', 'linked by alias of model name', 'linked by
--   version name', ...) or why not ('unlinked: ...').
-- example: select model_version, score, released_on, model_id, link_rule from core.capability_scores where
--   score is not null order by score desc, model_version limit 5
-- refresh kind: event
-- refresh columns: event_id
-- refresh stored: capability
-- refresh touched: refresh/capability_scores.sql

-- Refresh: every refresh that applies anything marks an event; its script (refresh touched)
-- marks the versions whose link may move: a version's row moves with its event, and also
-- when a model it links to, or could link to, moves.
-- core.capability_scores: one row per model version scored on a capability index (Epoch's
-- ECI), corrections and retractions applied (an upstream re-fit corrects the row). A version
-- without a score is kept (score NULL). Each version is linked to a model of core.models by
-- the identity rule every source shares: its model name (else its version name) normalized
-- by core.model_key, through warehouse/reference/model_aliases.csv (as 30_models.sql keys
-- launches: an alias scoped to an organization applies to that organization's versions), to a model that exists;
-- a model whose developers share none with the version's is not a link. link_rule says
-- which rule linked it, or why none did (core.capability_unlinked lists those).
create or replace macro core.capability_scores_of(as_of, src) as table
-- With src 'dirty', only the versions of the dirty events (their recomputed rows) and those
-- marked 'capability_relink' (sql/refresh/capability_scores.sql).
with scored as (
    select * from core.effective_events_in(as_of, src) where event_type = 'capability.scored'
    union all
    select * from projection_state.effective_events
    where src = 'dirty' and getvariable('capability_relinks') and event_type = 'capability.scored'
      and event_id in (select key from core.dirty_keys('capability_relink'))
),
mentions as (
    select * from core.organization_mentions_in(as_of, src) where src <> 'dirty'
    union all
    select * from projection_state.recomputed_mentions where src = 'dirty'
    union all
    select * from projection_state.organization_mentions
    where src = 'dirty' and getvariable('capability_relinks')
      and event_id in (select key from core.dirty_keys('capability_relink'))
),
developers as (
    select m.event_id, list(distinct m.org_id order by m.org_id) as organization_ids
    from mentions m
    where m.event_type = 'capability.scored' and m.role = 'developer'
    group by m.event_id
),
-- (materialized: read three times below, and each read would scan the events again)
versions as materialized (
    select s.event_id, s.position,
           s.payload ->> 'index' as index_name,
           s.payload ->> 'model_version' as model_version,
           s.payload ->> 'model' as model_name,
           s.payload ->> 'display_name' as display_name,
           (s.payload ->> 'score')::double as score,
           (s.payload ->> 'release_date')::date as released_on,
           coalesce(d.organization_ids, []) as organization_ids,
           json_extract_string(s.payload, '$.organizations[*]') as organizations,
           json_extract_string(s.payload, '$.countries[*]') as countries,
           (s.payload ->> 'open_weights')::boolean as open_weights,
           s.payload ->> 'access' as access,
           s.payload ->> 'confidence' as confidence,
           (s.payload ->> 'training_compute_flop')::double as training_compute_flop
    from scored s left join developers d using (event_id)
),
-- Each version's candidate models: by its model name first, then by its version name; a
-- name is keyed and aliased as core.model_launches keys a launch's (the identity rule of
-- 30_models.sql: an alias for the version's own developer first, then one for anyone).
names as (
    select event_id, 1 as rank, 'model name' as via, core.model_key(model_name) as name_key, organization_ids
    from versions where model_name is not null
    union all
    select event_id, 2, 'version name', core.model_key(model_version), organization_ids from versions
),
candidates as (
    select n.event_id, n.rank, n.via,
           coalesce(arg_min(a.model_id, (a.organization is null, a.organization)), n.name_key) as model_id,
           count(a.model_id) > 0 as by_alias
    from names n
    left join projection_state.model_alias_keys a
        on a.alias_key = n.name_key and (a.organization is null or list_contains(n.organization_ids, a.organization))
    group by n.event_id, n.rank, n.via, n.name_key
),
matched as (
    select c.event_id, c.rank, c.via, c.by_alias, m.model_id,
           len(v.organization_ids) = 0 or len(m.organization_ids) = 0
               or len(list_intersect(v.organization_ids, m.organization_ids)) > 0 as same_developer
    from candidates c
    join core.models_in(as_of, src) m using (model_id)
    join versions v using (event_id)
),
chosen as (
    select event_id,
           arg_min(model_id, rank) filter (where same_developer) as model_id,
           arg_min(case when by_alias then 'alias of ' else '' end || via, rank) filter (where same_developer) as rule,
           bool_or(not same_developer) as other_developer
    from matched group by event_id
)
select v.event_id, v.index_name, v.model_version, v.model_name, v.display_name, v.score, v.released_on,
       v.organization_ids, coalesce(v.organizations, []) as organizations, coalesce(v.countries, []) as countries,
       v.open_weights, v.access, v.confidence, v.training_compute_flop,
       c.model_id,
       case when c.model_id is not null then 'linked by ' || c.rule
            when c.other_developer then 'unlinked: the model of that name has other developers'
            when v.model_name is null then 'unlinked: no model name, and no model of that version name in core.models'
            else 'unlinked: no model of that name or version name in core.models' end as link_rule
from versions v left join chosen c using (event_id);

create or replace macro core.capability_scores_as_of(as_of) as table
select * from core.capability_scores_of(as_of, 'log');
