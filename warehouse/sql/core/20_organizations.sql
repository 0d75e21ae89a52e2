-- table: core.organizations
-- doc:
--   Every organization airace knows: the curated registry (`warehouse/reference/organizations.csv`) plus each
--   organization an event names that the registry does not know yet (`in_registry` false; its id is a slug of
--   the name). Names are matched whole first (also without a parenthetical qualifier), then split on `,`,
--   `&`, `;`, `/` and ` and `; case, accents, punctuation and spaces are ignored. Hong Kong organizations
--   have the country code `HK` (not folded into `CN` here; see `marts.catch_up_lag`).
-- column org_id: Stable id (registry id, or a slug of the name for unregistered organizations).
-- column name: Canonical name (the registry's, else the most common spelling in events).
-- column country: ISO 3166 alpha-2 country of the organization (registry; else from the event when
--   unambiguous). `INT` = international.
-- column kind: Registry kind: lab, big_tech, company, university, research_institute, government, ... NULL
--   when unregistered.
-- column aliases: Other spellings: the registry's aliases plus every spelling seen in events.
-- column in_registry: True when the organization is in the curated registry.
-- column first_event_on: Valid date of the first event naming it (NULL if none yet).
-- column events: Number of (effective) events naming it.
-- column parent_id: Its parent organization now (`warehouse/reference/organization_parents.csv`, each period
--   citing its source): DeepMind and Google Brain `merged_into` Google DeepMind on 2023-04-20, Google
--   DeepMind part of Google, Google of Alphabet. NULL when it has none.
-- column parent_relation: `part_of` or `merged_into` (the lab stopped releasing under its own name and its
--   work continued in the parent).
-- column parent_from: First day of that parent (NULL: since the organization began).
-- column parent_to: Day the parent ended, exclusive (NULL: still).
-- column group_id: The group it belongs to now: the top of its parent chain (`alphabet` for Google, DeepMind,
--   Google Brain and Google DeepMind); itself when it has no parent. The group on a given day is
--   `core.organization_group(org_id, day)`.
-- column group_from: First day of the current group membership (NULL: always).
-- example: select org_id, name, country, parent_id, parent_relation, parent_from, group_id, group_from from
--   core.organizations where group_id = 'alphabet' order by org_id
-- refresh kind: org
-- refresh columns: org_id
-- refresh stored: org

-- Organizations: the curated registry (warehouse/reference/organizations.csv, loaded
-- into core.organization_registry) plus every organization the events name that the
-- registry does not know, with the spellings seen as aliases.

create or replace macro core.organization_aliases() as table
select distinct org_id, core.name_key(alias) as alias_key
from (
    select org_id, unnest(list_concat([name, org_id], aliases)) as alias from core.organization_registry
)
where core.name_key(alias) <> '';

-- Materialized with the definitions (the registry is loaded from files the definitions'
-- fingerprint covers, so a refresh that keeps the definitions keeps the registry):
-- every statement that resolves names looks them up, and computing them costs ~10 ms.
create or replace table projection_state.organization_alias_keys as select * from core.organization_aliases();

-- The hierarchy (warehouse/reference/organization_parents.csv: each lab keeps its own
-- identity and has a parent for a period): every organization with each of its
-- ancestors and the period the whole chain up to it holds ([valid_from, valid_to);
-- an open end is 0001-01-01 or 9999-12-31). DeepMind: Google from 2014-01, Alphabet
-- from 2015-10-02 (through Google), Google DeepMind from 2023-04-20. An organization's
-- group on a day is its deepest ancestor then (itself when it has none).
create or replace table projection_state.organization_lineage as
with recursive chain(org_id, ancestor_id, relation, valid_from, valid_to, depth) as (
    select org_id, org_id, 'self', date '0001-01-01', date '9999-12-31', 0
    from (select org_id from core.organization_registry union select org_id from core.organization_parents)
    union all
    select c.org_id, p.parent_id, p.relation,
           greatest(c.valid_from, coalesce(p.valid_from, date '0001-01-01')),
           least(c.valid_to, coalesce(p.valid_to, date '9999-12-31')), c.depth + 1
    from chain c join core.organization_parents p on p.org_id = c.ancestor_id
    where coalesce(p.valid_from, date '0001-01-01') < c.valid_to
      and coalesce(p.valid_to, date '9999-12-31') > c.valid_from
      and c.depth < 10  -- (a cycle in the reference file cannot loop forever)
)
select * from chain;

-- The group an organization belonged to on a day (itself when it belongs to none).
create or replace macro core.organization_group(org, day) as
    coalesce((select arg_max(l.ancestor_id, l.depth) from projection_state.organization_lineage l
              where l.org_id = org and day >= l.valid_from and day < l.valid_to), org);

-- One row per (event, organization named in it). A name is resolved whole first
-- ("Tsinghua KEG" -> Tsinghua University); a name that is not known whole is split on
-- ',', '&', ';', '/' and ' and ' ("Tsinghua KEG & Zhipu" -> both; "DeepSeek, Moonshot AI,
-- MiniMax" -> three). The country is the
-- registry's; for an unknown organization, the event's own country when the event's
-- countries pair up with its organizations or name a single country.
-- The names a payload field holds: a list's items, or its one name (as
-- core.allegation_parties, which also reads a v1 allegation's single `accuser`; the path
-- is a column here, so the list is taken from the field's JSON with a constant path).
create or replace macro core.organization_names(payload, field) as
    case when json_type(payload, '$.' || field) = 'ARRAY' then json_extract_string(json_extract(payload, '$.' || field), '$[*]')
         else list_filter([payload ->> (case field when 'accusers' then 'accuser' else field end)],
                          lambda name: name is not null and trim(name) <> '') end;

create or replace macro core.organization_mentions_of(as_of, src) as table
with events as (select * from core.effective_events_in(as_of, src)),
aliases as (select * from projection_state.organization_alias_keys),
-- Which payload fields name organizations, in which role (developer, accuser, accused…),
-- is declared with each event type (schemas/event_types.py) and loaded into
-- projection_state.organization_roles.
named as (
    select event_id, event_type, occurred_at, role, unnest(names) as raw_name,
           generate_subscripts(names, 1) as ordinal, countries, len(names) as n_named
    from (
        select e.event_id, e.event_type, e.occurred_at, r.role, core.organization_names(e.payload, r.field) as names,
               coalesce(json_extract_string(e.payload, '$.countries[*]'), []) as countries
        from events e join projection_state.organization_roles r using (event_type)
    )
),
whole as (
    -- A parenthetical is a qualifier, not a second organization:
    -- "David Sacks (White House AI and crypto czar)" is David Sacks.
    select n.*, coalesce(a.org_id, plain.org_id) as org_id,
           trim(regexp_replace(n.raw_name, '\s*\([^)]*\)', '', 'g')) as plain_name
    from named n
    left join aliases a on a.alias_key = core.name_key(n.raw_name)
    left join aliases plain
        on plain.alias_key = core.name_key(regexp_replace(n.raw_name, '\s*\([^)]*\)', '', 'g'))
),
parts as (
    select w.* exclude (org_id, raw_name, plain_name),
           unnest(regexp_split_to_array(w.plain_name, '\s*(?:,|&|;|/|\band\b)\s*')) as raw_name
    from whole w where w.org_id is null
),
resolved as (
    select * exclude (plain_name) from whole where org_id is not null
    union all by name
    select p.*, coalesce(a.org_id, core.slug(p.raw_name)) as org_id
    from parts p left join aliases a on a.alias_key = core.name_key(p.raw_name)
    where trim(p.raw_name) <> ''
)
select r.event_id, r.event_type, r.occurred_at, r.role, r.raw_name, r.org_id,
       coalesce(reg.country,
                case when len(r.countries) = r.n_named then r.countries[r.ordinal]
                     when len(list_distinct(r.countries)) = 1 then r.countries[1] end) as country,
       reg.org_id is not null as in_registry,
       -- One mention per event and organization counts the event (an event may name an
       -- organization twice): core.organizations counts these, not distinct event ids.
       row_number() over (partition by r.event_id, r.org_id order by r.role, r.raw_name, r.ordinal) = 1 as counts_event
from resolved r left join core.organization_registry reg using (org_id);

create or replace macro core.organization_mentions(as_of) as table
select * from core.organization_mentions_of(as_of, 'log');

-- Materialized for the "now" build: one row per (event, organization named in it).
create table if not exists projection_state.organization_mentions as
select * from core.organization_mentions('infinity') limit 0;

-- The mentions an incremental refresh recomputed (those of the dirty events).
create table if not exists projection_state.recomputed_mentions as
select * from core.organization_mentions('infinity') limit 0;

-- The stored side of core.organization_mentions_in (see core.effective_events_stored);
-- with src 'dirty', the mentions of the organizations a refresh touches.
create or replace macro core.organization_mentions_stored(src) as table
select * from projection_state.organization_mentions where src = 'state'
union all
select * from projection_state.organization_mentions
where src = 'dirty' and org_id in (select key from core.dirty_keys('org'));


-- The mentions of the events core.subject_events_in gives (allegations' accusers and
-- accused, products' developers): with src 'dirty', the recomputed ones and those of the
-- touched subjects' other events, rather than every mention looked up by event. (The
-- variable, set by incremental.sql, says whether there are such other events: the
-- planner drops the lookup when there are none, which a join would not.)
create or replace macro core.subject_mentions_in(as_of, src) as table
select * from core.organization_mentions_in(as_of, core.all_rows_of(src)) where src <> 'dirty'
union all
select * from projection_state.organization_mentions
where src = 'dirty' and getvariable('stored_subject_events') and event_id in (
    select event_id from projection_state.touched_subject_events
    where event_id not in (select key from core.dirty_keys('event')))
union all
select * from projection_state.recomputed_mentions where src = 'dirty';

create or replace macro core.organizations_of(as_of, src) as table
with registry as (
    select * from core.organization_registry
    where src <> 'dirty' or org_id in (select key from core.dirty_keys('org'))
),
-- One pass over the mentions: counts per organization, spelling and country (a few
-- hundred rows), from which the rest is derived (rather than the mentions read thrice).
counted as (
    select org_id, raw_name, country, count(*) as times, min(occurred_at) as first_event_on,
           count(*) filter (where counts_event) as events
    from core.organization_mentions_in(as_of, src)
    group by all
),
-- The most common spelling and country; a tie goes to the first in sort order (not to
-- whichever the scan met first, as mode() would: the same log must give the same table).
spellings as (
    select org_id, arg_min(raw_name, (-times, raw_name)) as name, list(raw_name order by raw_name) as spellings
    from (select org_id, raw_name, sum(times)::bigint as times from counted group by all)
    group by org_id
),
countries as (
    select org_id, arg_min(country, (-times, country)) as country
    from (select org_id, country, sum(times)::bigint as times from counted where country is not null group by all)
    group by org_id
),
seen as (
    select o.org_id, s.name, c.country, s.spellings, o.first_event_on, o.events
    from (select org_id, min(first_event_on) as first_event_on, sum(events)::bigint as events
          from counted group by org_id) o
    join spellings s using (org_id)
    left join countries c using (org_id)
),
-- The current parent (the latest period in organization_parents) and group (the group
-- on the last day the lineage can name, i.e. as things stand).
hierarchy as (
    select org_id, latest.parent_id, latest.relation as parent_relation,
           latest.valid_from as parent_from, latest.valid_to as parent_to
    from (select org_id,
                 -- (a struct: arg_max skips NULL values, and an open valid_to is NULL)
                 arg_max({'parent_id': parent_id, 'relation': relation, 'valid_from': valid_from, 'valid_to': valid_to},
                         coalesce(valid_from, date '0001-01-01')) as latest
          from core.organization_parents group by org_id)
),
groups as (
    select org_id, arg_max(ancestor_id, depth) as group_id,
           nullif(arg_max(valid_from, depth), date '0001-01-01') as group_from
    from projection_state.organization_lineage where date '9999-12-30' >= valid_from and date '9999-12-30' < valid_to
    group by org_id
),
listed as (
    select reg.org_id, reg.name, reg.country, reg.kind,
           list_sort(list_distinct(list_concat(reg.aliases, list_filter(coalesce(s.spellings, []), lambda x: x <> reg.name)))) as aliases,
           true as in_registry, s.first_event_on, coalesce(s.events, 0) as events
    from registry reg left join seen s using (org_id)
    union all
    select s.org_id, s.name, s.country, null as kind,
           list_filter(s.spellings, lambda x: x <> s.name) as aliases,
           false, s.first_event_on, s.events
    from seen s where s.org_id not in (select org_id from core.organization_registry)
)
select r.*, h.parent_id, h.parent_relation, h.parent_from, h.parent_to,
       coalesce(g.group_id, r.org_id) as group_id, g.group_from
from listed r left join hierarchy h using (org_id) left join groups g using (org_id);

create or replace macro core.organizations_as_of(as_of) as table
select * from core.organizations_of(as_of, 'log');
