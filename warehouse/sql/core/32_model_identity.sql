-- table: core.model_identity
-- doc:
--   Which source record became which model, and by which rule: one row per effective `model.launched` event.
--   `identity_rule` is `name` (the key of the name the event gives, `core.model_key`), `alias` or `alias for
--   organization` (`warehouse/reference/model_aliases.csv`, whose note is the `reason`). Two rows of
--   `core.models` share a normalized name only when an alias for organization keeps a homonym apart, and this
--   table gives the reason. `developers_agree` is false when an event's developers share no group (on its
--   date) with the model's other events: a name that meets across unrelated developers, to be looked at.
-- column model_id: The model it became (`core.models.model_id`).
-- column event_id: The `model.launched` event.
-- column source: Its source.
-- column source_ref: Its natural key in the source (e.g. Epoch's model name).
-- column model_name: The model name the event gives.
-- column name_key: `core.model_key(model_name)`.
-- column identity_rule: `name`, `alias` or `alias for organization`.
-- column reason: Why: 'same normalized name', or the alias's note.
-- column organization_ids: The event's developers (`core.organizations.org_id`).
-- column group_ids: Their groups on the event's date (`core.organization_group`).
-- column developers_agree: False when these groups share none with the model's other events (both sides
--   known).
-- column occurred_at: The date the event gives.
-- example: select model_id, source, model_name, identity_rule, reason from core.model_identity where
--   identity_rule <> 'name' order by model_id, source limit 6
-- refresh kind: model
-- refresh columns: model_id
-- refresh stored: stored_model

-- core.model_identity: which source record (model.launched event) became which model of
-- core.models, and by which rule (see 30_models.sql): 'name' (the key of the name it
-- gives), 'alias' or 'alias for organization' (warehouse/reference/model_aliases.csv,
-- whose note is the reason). `developers_agree` is false when the event's developers
-- share no group (on its date) with the other events of the model: names that meet
-- across unrelated developers are to be looked at (and split by an alias for organization).
create or replace macro core.model_identity_of(as_of, src) as table
with launches as (select * from core.model_launches_in(as_of, src)),
groups as (
    select l.event_id,
           list(distinct m.org_id order by m.org_id) as organization_ids,
           list_sort(list_distinct(list(core.organization_group(m.org_id, l.occurred_at)))) as group_ids
    from launches l join core.launch_mentions_in(as_of, src) m on m.event_id = l.event_id and m.role = 'developer'
    group by l.event_id
),
per_event as (
    select l.model_id, l.event_id, l.source, l.source_ref, l.payload ->> 'model' as model_name, l.name_key,
           l.identity_rule, l.identity_note, l.occurred_at, l.position,
           coalesce(g.organization_ids, []) as organization_ids, coalesce(g.group_ids, []) as group_ids
    from launches l left join groups g using (event_id)
),
others as (
    -- every other event's groups of the same model, for the agreement check
    select a.event_id, flatten(list(b.group_ids)) as other_groups
    from per_event a join per_event b on a.model_id = b.model_id and a.event_id <> b.event_id
    group by a.event_id
)
select p.model_id, p.event_id, p.source, p.source_ref, p.model_name, p.name_key, p.identity_rule,
       case p.identity_rule when 'name' then 'same normalized name' else p.identity_note end as reason,
       p.organization_ids, p.group_ids,
       o.other_groups is null or len(p.group_ids) = 0 or len(o.other_groups) = 0
           or len(list_intersect(p.group_ids, o.other_groups)) > 0 as developers_agree,
       p.occurred_at
from per_event p left join others o using (event_id)
order by p.model_id, p.position;

create or replace macro core.model_identity_as_of(as_of) as table
select * from core.model_identity_of(as_of, 'log');
