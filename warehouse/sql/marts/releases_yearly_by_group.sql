-- table: marts.releases_yearly_by_group
-- doc:
--   Model launches per calendar year and group of organizations: the group-level sibling of the
--   per-organization marts (`marts.releases_monthly`, `marts.release_cadence`). Each developer counts as its
--   group on the launch date (`core.organization_group`, from
--   `warehouse/reference/organization_parents.csv`): Google, Google Brain, DeepMind and Google DeepMind are
--   Alphabet from 2015-10-02. A model counts once for each group among its developers (a model of two
--   Alphabet labs is one Alphabet launch); an organization with no parent is its own group. Only years with a
--   launch of the group have a row.
-- column year: Calendar year of the launch.
-- column group_id: The group (`core.organizations.org_id`; the organization itself when it has no parent).
-- column group_name: Its name.
-- column launches: Models launched that year with a developer in the group.
-- column organization_ids: The group's organizations that developed them.
-- example: select year, group_id, launches, organization_ids from marts.releases_yearly_by_group where year =
--   2023 order by launches desc, group_id limit 5

-- marts.releases_yearly_by_group: model launches per calendar year and group of
-- organizations, the group-level sibling of the per-organization marts
-- (marts.releases_monthly, marts.release_cadence): each developer counts as its group on
-- the launch date (core.organization_group; warehouse/reference/organization_parents.csv),
-- so Google, Google Brain, DeepMind and Google DeepMind are Alphabet from 2015-10-02. A
-- model counts once for each group among its developers (a model of two Alphabet labs
-- is one Alphabet launch); an organization with no parent is its own group. Only years
-- with a launch of the group have a row. Recomputed whole on each refresh (it is small).
create or replace macro marts.releases_yearly_by_group_of(as_of, src) as table
with credited as (
    select distinct m.model_id, year(m.launched_on) as year, o.org_id,
           core.organization_group(o.org_id, m.launched_on) as group_id
    from core.models_in(as_of, src) m, unnest(m.organization_ids) as o(org_id)
    where m.launched_on is not null
)
select c.year, c.group_id, g.name as group_name,
       count(distinct c.model_id) as launches,
       list(distinct c.org_id order by c.org_id) as organization_ids
from credited c left join core.organizations_in(as_of, src) g on g.org_id = c.group_id
group by c.year, c.group_id, g.name
order by c.year, c.group_id;

create or replace macro marts.releases_yearly_by_group_as_of(as_of) as table
select * from marts.releases_yearly_by_group_of(as_of, 'log');
