-- The scope of marts.releases_monthly's incremental refresh (see releases_monthly.sql):
-- the last month of the grid, and the organizations with rows whose name or country is
-- no longer the one the rows show, and the day through which launches are complete (every
-- row's `complete`). Defined after the table it compares with exists.
create or replace macro marts.releases_monthly_scope() as {
    'last_month': (select max(date_trunc('month', launched_on)) from core.models where len(organization_ids) > 0),
    'renamed': (select list(o.org_id order by o.org_id)
                from core.organizations o
                join (select distinct org_id, organization, country from marts.releases_monthly
                      -- (only an organization the refresh touches can change its name or country)
                      where org_id in (select key from core.dirty_keys('org'))) r using (org_id)
                where o.name is distinct from r.organization or o.country is distinct from r.country),
    'complete_through': core.complete_through('infinity', 'state', 'model.launched')
};
