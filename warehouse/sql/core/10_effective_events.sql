-- The log as known at `as_of` (record time), with corrections applied and retracted
-- events removed. Every projection starts here, so "as of" works for all of them.
--   * event.corrected carries `changes` (merged over the target's payload as a JSON
--     merge patch, in log order) and optionally a new occurred_at / precision;
--   * event.retracted removes its target.
create or replace macro core.effective_events(as_of) as table
with log as (
    select * from events.log where recorded_at <= as_of::timestamptz
),
corrections as (
    select payload ->> 'target_event_id' as event_id,
           list(payload -> 'changes' order by position) as changes,
           arg_max(payload ->> 'occurred_at', position) filter (where payload ->> 'occurred_at' is not null) as occurred_at,
           arg_max(payload ->> 'occurred_precision', position) filter (where payload ->> 'occurred_precision' is not null) as occurred_precision,
           count(*) as corrections,
           max(recorded_at) as corrected_at
    from log
    where event_type = 'event.corrected'
    group by all
),
retracted as (
    select distinct payload ->> 'target_event_id' as event_id from log where event_type = 'event.retracted'
)
select l.position,
       l.event_id,
       l.event_type,
       l.subject,
       coalesce(c.occurred_at::date, l.occurred_at) as occurred_at,
       coalesce(c.occurred_precision, l.occurred_precision) as occurred_precision,
       l.recorded_at,
       l.source,
       l.source_url,
       l.source_ref,
       case when c.changes is null then l.payload
            else list_reduce(list_prepend(l.payload, c.changes), lambda patched, patch: json_merge_patch(patched, patch))
       end as payload,
       coalesce(c.corrections, 0) as corrections
from log l
left join corrections c using (event_id)
where l.event_type not in ('event.corrected', 'event.retracted')
  and l.event_id not in (select event_id from retracted);
