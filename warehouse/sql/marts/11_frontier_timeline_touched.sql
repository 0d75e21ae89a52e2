-- The days of marts.frontier_timeline an incremental refresh recomputes (see
-- 10_frontier_timeline.sql): the day of the last compute record launched before the
-- earliest touched launch date, and every day from that date to the last launch date.
-- Defined after the table it reads exists.
create or replace macro marts.frontier_timeline_touched_days() as table
with earliest as (
    select min(launched_on) as day from core.models where model_id in (select key from core.dirty_keys('model'))
)
select distinct to_json([day::varchar])::varchar
from (
    select max(launched_on) as day from marts.frontier_timeline
    where is_compute_record and launched_on < (select day from earliest)
    union all
    select unnest(generate_series((select day from earliest), (select max(launched_on) from core.models),
                                  interval 1 day))::date
)
where day is not null;
