-- The versions of core.capability_scores whose link may move although their event did not
-- (sql/refresh/capability_scores.sql marks them before an incremental refresh recomputes the
-- table; defined here, after the table it reads exists): a model a version links to changes
-- developers or goes, or a model appears under a name that would link a version not linked
-- by its model name yet (unlinked, or linked by its version name).
create or replace macro core.capability_scores_relinked() as table
select event_id from core.capability_scores where model_id in (select key from core.dirty_keys('model'))
union
select s.event_id
from (select event_id, unnest([model_name, model_version]) as name from core.capability_scores
      where model_id is null or link_rule like 'linked by %version name') s
left join core.model_alias_registry a on a.alias_id = core.model_key(s.name)
where coalesce(a.model_id, core.model_key(s.name)) in (select key from core.dirty_keys('model'));
