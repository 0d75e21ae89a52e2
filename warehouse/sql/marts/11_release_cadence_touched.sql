-- The groups of marts.release_cadence an incremental refresh recomputes (see
-- 10_release_cadence.sql); defined after the table it compares with exists.
create or replace macro marts.release_cadence_touched_groups() as table
select marts.release_cadence_group(org_id) from (
    select unnest(organization_ids) as org_id from core.models
    where model_id in (select key from core.dirty_keys('model'))
    union
    select r.org_id from marts.release_cadence r join core.organizations g using (org_id)
    where r.org_id in (select key from core.dirty_keys('org'))
      and (r.organization is distinct from g.name or r.country is distinct from g.country)
);
