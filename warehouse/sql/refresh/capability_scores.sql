-- Before an incremental refresh recomputes core.capability_scores (after core.models): the
-- versions to recompute. Those of the dirty events come from the recomputed rows; the ones
-- whose link may move although their event did not ('capability_relink') are looked up in
-- the materialized state, only when there are any (the variable lets the planner drop it).
-- 'capability': the versions whose current row may go (events logged before, relinks).
insert into projection_state.dirty
select 'capability_relink', event_id from core.capability_scores_relinked()
where event_id not in (select key from core.dirty_keys('event'));

set variable capability_relinks = exists (select 1 from core.dirty_keys('capability_relink'));

insert into projection_state.dirty
select 'capability', key from core.dirty_keys('capability_relink')
union
select 'capability', key from core.dirty_keys('stored_event');

-- The models whose core.model_capability row may move: those the rows about to go link to
-- (the rest are marked after the table is refreshed: sql/refresh/model_capability.sql).
insert into projection_state.dirty
select 'capability_model', model_id from core.capability_scores
where model_id is not null and event_id in (select key from core.dirty_keys('capability'));
