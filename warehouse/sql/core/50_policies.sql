-- table: core.policies
-- doc:
--   One row per policy (its subject): a law, executive order, export control, guideline, standard, strategy
--   or treaty, with its current stage (the latest by valid time) and every stage it went through.
-- column policy_id: Stable id (the event subject, `policy:...`).
-- column jurisdiction: Country code, `EU`, or `INT` (latest stated).
-- column instrument: law, regulation, executive_order, export_control, guideline, standard, strategy, treaty,
--   other.
-- column title: Title (latest stated).
-- column stage: Current stage: proposed, adopted, published (in an official journal), in_force (entry into
--   force), applies (a set of provisions starts to apply), amended, revoked, withdrawn.
-- column first_event_on: Date of its first step.
-- column last_change_on: Date of its latest step.
-- column changes: Number of steps (policy.changed events).
-- column stages: Every step: `on`, `precision`, `stage`, in order.
-- column topics: Topics (union over its steps).
-- column source_urls: Provenance URLs.
-- example: select policy_id, jurisdiction, instrument, stage, first_event_on, changes from core.policies
--   where jurisdiction in ('US', 'CN') order by last_change_on desc limit 5
-- refresh kind: subject
-- refresh columns: policy_id
-- refresh stored: stored_subject

-- Policies: one row per policy (its subject); the stage is the latest by valid time.
create or replace macro core.policies_of(as_of, src) as table
select subject as policy_id,
       arg_max(payload ->> 'jurisdiction', (occurred_at, position)) as jurisdiction,
       arg_max(payload ->> 'instrument', (occurred_at, position)) as instrument,
       arg_max(payload ->> 'title', (occurred_at, position)) as title,
       arg_max(payload ->> 'stage', (occurred_at, position)) as stage,
       min(occurred_at) as first_event_on,
       max(occurred_at) as last_change_on,
       count(*) as changes,
       list({'on': occurred_at, 'precision': occurred_precision, 'stage': payload ->> 'stage'} order by occurred_at, position) as stages,
       list_sort(list_distinct(flatten(list(json_extract_string(payload, '$.topics[*]'))))) as topics,
       coalesce(list(distinct source_url order by source_url) filter (where source_url is not null), []) as source_urls
from core.subject_events_in(as_of, src)
where event_type = 'policy.changed'
group by subject;

create or replace macro core.policies_as_of(as_of) as table
select * from core.policies_of(as_of, 'log');
