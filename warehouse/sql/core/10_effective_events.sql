-- The log as known at `as_of` (record time), with corrections applied and retracted
-- events removed. Every projection starts here, so "as of" works for all of them.
--   * event.corrected carries `changes` (merged over the target's payload as a JSON
--     merge patch, in log order) and optionally a new occurred_at / precision;
--   * a correction's own source_url, when it has one, becomes the corrected event's
--     source_url (the latest standing one): a better citation replaces the old one, and
--     retracting the correction brings the old one back;
--   * event.retracted removes its target; retracting a correction undoes it (the
--     target's values come back as if it had never been logged).
-- With src 'dirty', only the events marked dirty are recomputed: their own log rows and
-- every correction or retraction that targets them, wherever it is in the log (found
-- through projection_state.amendments, not by reading every amendment's payload). Every
-- log row after the checkpoint (variable projected_position) is one of those; the ones
-- before it are read by position (variable looked_up_positions, set by
-- sql/refresh/incremental.sql: the dirty events logged before the checkpoint and the
-- earlier amendments of dirty events).
create table if not exists projection_state.amendments (target_event_id varchar, position bigint not null);

-- A retraction of a correction is listed under the correction and under the corrected event
-- too: an incremental refresh then recomputes that event without the correction.
create or replace macro core.amendments_of(as_of, after_position) as table
with amendments as (
    select payload ->> 'target_event_id' as target_event_id, position, event_type
    from events.log
    where event_type in ('event.corrected', 'event.retracted')
      and recorded_at <= as_of::timestamptz and position > after_position
)
select target_event_id, position from amendments
union all
select c.payload ->> 'target_event_id', a.position
from amendments a join events.log c on c.event_id = a.target_event_id
where a.event_type = 'event.retracted' and c.event_type = 'event.corrected';

create or replace macro core.effective_events_of(as_of, src) as table
with log as (
    select * from events.log where src <> 'dirty' and recorded_at <= as_of::timestamptz
    union all
    select * from events.log where src = 'dirty' and position > getvariable('projected_position')
    union all
    -- (the rows before the checkpoint, by position: sql/refresh/incremental.sql lists them)
    select * from events.log where src = 'dirty' and list_contains(getvariable('looked_up_positions'), position)
),
retracted as (
    select distinct payload ->> 'target_event_id' as event_id from log where event_type = 'event.retracted'
),
-- Corrections still standing (not retracted). A new occurred_at outside the documented
-- range, or an unknown precision, is ignored (core.valid_day): the append path refuses
-- them, and one left in an old log must not reach the marts.
corrections as (
    select payload ->> 'target_event_id' as event_id,
           list(payload -> 'changes' order by position) filter (where json_type(payload -> 'changes') = 'OBJECT') as changes,
           arg_max(core.valid_day(payload ->> 'occurred_at'), position)
               filter (where core.valid_day(payload ->> 'occurred_at') is not null) as occurred_at,
           arg_max(core.valid_precision(payload ->> 'occurred_precision'), position)
               filter (where core.valid_precision(payload ->> 'occurred_precision') is not null) as occurred_precision,
           arg_max(source_url, position) filter (where source_url is not null) as source_url,
           count(*) as corrections,
           max(recorded_at) as corrected_at
    from log
    where event_type = 'event.corrected' and event_id not in (select event_id from retracted)
    group by all
)
select l.position,
       l.event_id,
       l.event_type,
       l.subject,
       coalesce(c.occurred_at, l.occurred_at) as occurred_at,
       coalesce(c.occurred_precision, l.occurred_precision) as occurred_precision,
       l.recorded_at,
       l.source,
       coalesce(c.source_url, l.source_url) as source_url,
       l.source_ref,
       case when c.changes is null or len(c.changes) = 0 then l.payload
            else list_reduce(list_prepend(l.payload, c.changes), lambda patched, patch: json_merge_patch(patched, patch))
       end as payload,
       coalesce(c.corrections, 0) as corrections
from log l
left join corrections c using (event_id)
where l.event_type not in ('event.corrected', 'event.retracted')
  and l.event_id not in (select event_id from retracted);

create or replace macro core.effective_events(as_of) as table
select * from core.effective_events_of(as_of, 'log');

-- Materialized for the "now" build: one row per effective event.
create table if not exists projection_state.effective_events as
select * from core.effective_events('infinity') limit 0;

-- The effective rows an incremental refresh recomputed (those of the dirty events).
create table if not exists projection_state.recomputed_effective_events as
select * from core.effective_events('infinity') limit 0;

-- The stored side of the reader core.effective_events_in(as_of, src): the materialized
-- rows ('state') or the recomputed ones ('dirty'); 'log' reads core.effective_events_of.
create or replace macro core.effective_events_stored(src) as table
select * from projection_state.effective_events where src = 'state'
union all
select * from projection_state.recomputed_effective_events where src = 'dirty';


-- Every effective event of the subjects (allegations, policies, products) an incremental
-- refresh touches: collected once (incremental.sql) for the core tables keyed by subject.
create table if not exists projection_state.touched_subject_events as
select * from core.effective_events('infinity') limit 0;

-- The subjects with materialized events other than launches (perhaps retracted since):
-- a touched subject not among them has only recomputed events, so incremental.sql looks
-- up the materialized events of the others only.
create table if not exists projection_state.subjects (subject varchar not null);

create or replace macro core.subject_events_in(as_of, src) as table
select * from core.effective_events_in(as_of, core.all_rows_of(src)) where src <> 'dirty'
union all
select * from projection_state.touched_subject_events where src = 'dirty';
