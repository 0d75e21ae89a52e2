-- A full refresh of the intermediate tables: each computed once from the whole log.
-- (The core and mart tables follow, each from its `_of('infinity', 'state')` macro.)
create or replace table projection_state.amendments as
select * from core.amendments_of('infinity', 0);

create or replace table projection_state.effective_events as
select * from core.effective_events('infinity');

create or replace table projection_state.organization_mentions as
select * from core.organization_mentions_of('infinity', 'state');

create or replace table projection_state.model_launches as
select * from core.model_launches_of('infinity', 'state');

create or replace table projection_state.subjects as
select distinct subject from projection_state.effective_events where event_type <> 'model.launched';
