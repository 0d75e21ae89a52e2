-- An incremental refresh of the intermediate tables from the log rows after the
-- checkpoint (variable projected_position), and the keys of the core tables it touches
-- (projection_state.dirty). The core tables then recompute only those keys.
delete from projection_state.dirty;

insert into projection_state.amendments
select * from core.amendments_of('infinity', getvariable('projected_position'));

-- Events whose effective row may change: each new event, and the target of each new
-- correction or retraction (which may sit anywhere earlier in the log).
insert into projection_state.dirty
select distinct 'event', event_id from events.log
where position > getvariable('projected_position') and event_type not in ('event.corrected', 'event.retracted')
union
select 'event', target_event_id from projection_state.amendments
where position > getvariable('projected_position') and target_event_id is not null;

-- Of those, the ones logged before the checkpoint: the only ones with materialized rows
-- (event ids are unique in the log, so a new event has none). Usually few or none: the
-- variables stored_events (here), stored_models and stored_subjects (below) say whether
-- there are any, so that the planner drops the lookups of materialized rows by them
-- when there are none (a join on no keys still costs the scan's setup).
insert into projection_state.dirty
select 'stored_event', target_event_id from projection_state.amendments
where position > getvariable('projected_position') and target_event_id is not null
except
select 'stored_event', event_id from events.log where position > getvariable('projected_position');

set variable stored_events = exists (select 1 from core.dirty_keys('stored_event'));
-- Their ids, and their log positions, as lists of constants: a filter on constants is
-- pushed into the scans (the log's indexes answer it), where a join on dirty_keys would
-- read a whole column of each table it looks them up in (a re-fit corrects hundreds of
-- versions logged long before: they are scattered over the whole log). The tables that
-- carry the log's position are filtered on it (an integer: cheaper than an id).
set variable stored_event_ids = (select list(key) from core.dirty_keys('stored_event'));
set variable stored_event_positions = (
    select list(position) from events.log
    where getvariable('stored_events') and event_id in (select key from core.dirty_keys('stored_event')));

-- The keys the current rows of those events count in: recomputed even if the event
-- leaves them (a retraction, a correction that drops an organization).
insert into projection_state.dirty
select 'model', model_id from projection_state.model_launches where getvariable('stored_events') and list_contains(getvariable('stored_event_positions'), position)
union all
select 'org', org_id from projection_state.organization_mentions where getvariable('stored_events') and list_contains(getvariable('stored_event_ids'), event_id)
union all
select 'subject', subject from projection_state.effective_events where getvariable('stored_events') and list_contains(getvariable('stored_event_positions'), position);

-- The log rows before the checkpoint that the dirty events' rows are recomputed from (see
-- core.effective_events_of): the stored events' own, and every earlier correction or
-- retraction of a dirty event. Positions, as constants, so that the wide rows are read
-- through the log's primary key (no scan of the payloads around them).
set variable looked_up_positions = list_concat(
    getvariable('stored_event_positions'),
    (select list(position) from projection_state.amendments
     where position <= getvariable('projected_position') and target_event_id in (select key from core.dirty_keys('event'))));

-- Recompute the rows of the dirty events once; each table then swaps them in.
delete from projection_state.recomputed_effective_events;
insert into projection_state.recomputed_effective_events select * from core.effective_events_of('infinity', 'dirty');
delete from projection_state.recomputed_mentions;
insert into projection_state.recomputed_mentions select * from core.organization_mentions_of('infinity', 'dirty');
delete from projection_state.recomputed_launches;
insert into projection_state.recomputed_launches select * from core.model_launches_of('infinity', 'dirty');

delete from projection_state.effective_events where getvariable('stored_events') and list_contains(getvariable('stored_event_positions'), position);
insert into projection_state.effective_events select * from projection_state.recomputed_effective_events;
delete from projection_state.organization_mentions where getvariable('stored_events') and list_contains(getvariable('stored_event_ids'), event_id);
insert into projection_state.organization_mentions select * from projection_state.recomputed_mentions;
delete from projection_state.model_launches where getvariable('stored_events') and list_contains(getvariable('stored_event_positions'), position);
insert into projection_state.model_launches select * from projection_state.recomputed_launches;

-- The keys the new rows count in.
insert into projection_state.dirty
select 'model', model_id from projection_state.recomputed_launches
union all
select 'org', org_id from projection_state.recomputed_mentions
union all
select 'subject', subject from projection_state.recomputed_effective_events;

-- Of the models touched, those core.models (not refreshed yet) already holds: only they
-- have launches outside the recomputed ones (core.models has a row for every model of
-- projection_state.model_launches), so only their launches are looked up by model.
insert into projection_state.dirty
select 'stored_model', model_id from core.models where model_id in (select key from core.dirty_keys('model'));

set variable stored_models = exists (select 1 from core.dirty_keys('stored_model'));

-- Every event of the subjects touched, for the core tables keyed by subject (launches are
-- keyed by model, through projection_state.model_launches): looked up only for the
-- subjects with materialized events; the others' are all recomputed.
insert into projection_state.dirty
select 'stored_subject', subject from projection_state.subjects
where subject in (select key from core.dirty_keys('subject'));

set variable stored_subjects = exists (select 1 from core.dirty_keys('stored_subject'));

delete from projection_state.touched_subject_events;
insert into projection_state.touched_subject_events
select * from projection_state.effective_events
where position in (  -- (found on narrow columns first, so only those rows' payloads are read)
    select position from projection_state.effective_events
    where getvariable('stored_subjects') and event_type <> 'model.launched'
      and subject in (select key from core.dirty_keys('stored_subject')))
union all
select * from projection_state.recomputed_effective_events
where event_type <> 'model.launched' and subject not in (select key from core.dirty_keys('stored_subject'));

set variable stored_subject_events = exists (
    select 1 from projection_state.touched_subject_events
    where event_id not in (select key from core.dirty_keys('event')));

insert into projection_state.subjects
select distinct subject from projection_state.recomputed_effective_events
where event_type <> 'model.launched' and subject not in (select key from core.dirty_keys('stored_subject'));
