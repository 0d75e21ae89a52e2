-- Before an incremental refresh recomputes core.model_capability (after core.models and
-- core.capability_scores): the models whose row may move. Those the recomputed versions link
-- to now (the ones they linked to before: sql/refresh/capability_scores.sql), and the models
-- that moved themselves (a new name, gone).
insert into projection_state.dirty
select 'capability_model', model_id from core.capability_scores
where model_id is not null and event_id in (
    select key from core.dirty_keys('event') union all select key from core.dirty_keys('capability'))
union
select 'capability_model', key from core.dirty_keys('model');
