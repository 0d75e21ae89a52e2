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
