-- The versions of core.capability_scores whose link may move although their event did not
-- (sql/refresh/capability_scores.sql marks them before an incremental refresh recomputes the
-- table; defined here, after the table it reads exists): a model a version links to changes
-- developers or goes, or a model appears under a name that would link a version not linked
-- by its model name yet (unlinked, or linked by its version name).
create or replace macro core.capability_scores_relinked() as table
select event_id from core.capability_scores where model_id in (select key from core.dirty_keys('model'))
union
select s.event_id
from (select event_id, core.model_key(unnest([model_name, model_version])) as name_key from core.capability_scores
      where model_id is null or link_rule like 'linked by %version name') s
left join projection_state.model_alias_keys a on a.alias_key = s.name_key
where s.name_key in (select key from core.dirty_keys('model'))
   or a.model_id in (select key from core.dirty_keys('model'));
