-- table: marts.concentration
-- doc:
--   How concentrated model launches are, per calendar quarter, as a Herfindahl-Hirschman index (HHI; the
--   antitrust convention: the sum of squared percentage shares, 0 to 10,000; 10,000 = one holder, 10,000/n =
--   n equal holders). Shares are of the quarter's launches (`core.models` by `launched_on`): a model
--   developed by n organizations gives each 1/n of a launch, and likewise across its n countries (HK its own
--   code). Models with no known organization (country) are left out of that index. A dense grid from the
--   first to the last quarter with a launch; quarters without launches have NULL indices. Small quarters (few
--   launches) give high, noisy indices. Two rows per quarter, by `level`: `lab` counts each organization as
--   itself (Google, DeepMind, Google DeepMind apart); `group` counts each as its group on the launch date
--   (`core.organization_group`, from `warehouse/reference/organization_parents.csv`: Alphabet for all three
--   since 2015-10-02), a model of two labs of one group giving the group a whole launch. The launch and
--   country columns are the same on both rows. A quarter with n launches cannot read below 10,000 / n whoever
--   made them (one launch: 10,000), so `enough_launches` marks the quarters with 10 or more launches with a
--   known organization, from which the floor (1,000) sits below the 1,500 under which the 2010 US merger
--   guidelines call a market unconcentrated; `complete` marks the quarters within the coverage of a
--   whole-table source (`core.source_coverage`). Read the index only where both are true.
-- column quarter: First day of the quarter.
-- column level: `lab` (organizations as themselves) or `group` (organizations as their group on the launch
--   date).
-- column launches: Models launched in the quarter.
-- column launches_with_organization: Of those, with a known organization.
-- column organizations: Distinct developing organizations.
-- column hhi_organizations: HHI of launch shares across organizations (0-10,000).
-- column effective_organizations: 10,000 / `hhi_organizations`: the number of equal-sized developers giving
--   the same index.
-- column top_organization_id: Organization with the largest share (ties: the greatest id).
-- column top_organization_share: Its share (0-1).
-- column launches_with_country: Models with a known country.
-- column countries: Distinct developer countries.
-- column hhi_countries: HHI of launch shares across countries.
-- column effective_countries: 10,000 / `hhi_countries`.
-- column top_country: Country with the largest share.
-- column top_country_share: Its share (0-1).
-- column complete: True when the quarter ends on or before the day launches are complete through
--   (`core.source_coverage.complete_through` of a whole-table source: Epoch AI's). Later quarters hold only
--   hand-picked launches: a drop there is missing data, not a slowdown.
-- column enough_launches: True with 10 or more launches with a known organization
--   (`marts.concentration_min_launches()`): enough for the index to measure the race rather than the
--   quarter's size.
-- example: select quarter, level, launches, round(hhi_organizations) as hhi_orgs,
--   round(effective_organizations, 1) as eff_orgs, top_organization_id, round(hhi_countries) as
--   hhi_countries, complete, enough_launches from marts.concentration where quarter between '2023-04-01' and
--   '2023-07-01' or quarter >= '2025-10-01' order by quarter, level desc
-- refresh kind: concentration_quarter
-- refresh columns: quarter
-- refresh touched: marts.concentration_touched_quarters()
-- refresh scope: marts.concentration_span()

-- marts.concentration: how concentrated model launches are, per calendar quarter, as a
-- Herfindahl-Hirschman index (HHI, the antitrust convention: the sum of squared
-- percentage shares, 0 to 10,000; 10,000 = one holder, 10,000/n = n equal holders).
-- Shares are of the quarter's launches (core.models by launched_on): a model developed
-- by n organizations gives each 1/n of a launch, and likewise across its n countries
-- (the developers' countries; HK stays its own code). Models with no known organization
-- (country) are left out of that index. `effective_organizations` = 10,000 / HHI, the
-- number of equal-sized developers that would give the same index. A dense grid from
-- the first to the last quarter with a launch; quarters with no launch have NULL indices.
-- Two rows per quarter, by `level`: 'lab' counts each organization as itself (DeepMind,
-- Google DeepMind and Google apart); 'group' counts each organization as its group on
-- the launch date (core.organization_group: Alphabet for all three since 2015-10-02), a
-- model of two labs of one group giving that group a whole launch. The launch and
-- country columns are the same on both rows.
-- Credits are summed as DECIMAL (exact), so the indices do not depend on the order in
-- which a parallel aggregate meets the rows: the same log always gives the same bits.
-- `complete`: the quarter ends on or before the day launches are complete through
-- (core.source_coverage); a later quarter holds only hand-picked flagships.
-- `enough_launches`: the quarter has at least marts.concentration_min_launches() (10)
-- launches with a known organization. With n launches the index cannot fall below
-- 10,000 / n (every launch by a different developer): a quarter with one launch reads
-- 10,000, with four at least 2,500 ("highly concentrated" in the 2010 US merger
-- guidelines' bands) whoever made them, so a small quarter measures its size, not the
-- race. From 10 launches that floor (1,000) sits below the 1,500 under which those
-- guidelines call a market unconcentrated, so every band can be reached.

create or replace macro marts.concentration_min_launches() as 10;

-- A quarter's row depends only on the models launched in it, and the grid on the first
-- and last quarters: an incremental refresh recomputes the quarters of the touched
-- models, as they were and as they are (kind 'concentration_quarter'), unless the span
-- of quarters or the launches' complete_through moved.
create or replace macro marts.concentration_touched_quarters() as table
select distinct to_json([date_trunc('quarter', launched_on)::date::varchar])::varchar
from core.models where launched_on is not null and model_id in (select key from core.dirty_keys('model'));

create or replace macro marts.concentration_span() as
    (select [date_trunc('quarter', min(launched_on))::date, date_trunc('quarter', max(launched_on))::date,
             core.complete_through('infinity', 'state', 'model.launched')]
     from core.models);

create or replace macro marts.concentration_of(as_of, src) as table
with dirty as (
    select (key::json ->> 0)::date as quarter from core.dirty_keys('concentration_quarter') where src = 'dirty'
),
models as (
    select model_id, date_trunc('quarter', launched_on)::date as quarter, launched_on, organization_ids, list_distinct(countries) as countries
    from core.models_in(as_of, src)
    where launched_on is not null
      and (src <> 'dirty' or date_trunc('quarter', launched_on)::date in (select quarter from dirty))
),
quarters as (
    select unnest(generate_series(min(quarter), max(quarter), interval 3 month))::date as quarter
    from models where src <> 'dirty'
    union all
    select quarter from dirty
),
lab_credit as (
    select quarter, launched_on, unnest(organization_ids) as org_id, (1 / len(organization_ids))::decimal(18, 9) as credit
    from models where len(organization_ids) > 0
),
org_credit as (
    select level, quarter, org_id, sum(credit) as credit
    from (select 'lab' as level, quarter, org_id, credit from lab_credit
          union all
          select 'group', quarter, core.organization_group(org_id, launched_on), credit from lab_credit)
    group by all
),
country_credit as (
    select quarter, country, sum(credit) as credit
    from (select quarter, unnest(countries) as country, (1 / len(countries))::decimal(18, 9) as credit
          from models where len(countries) > 0)
    group by all
),
org_index as (
    select level, quarter, count(*) as organizations,
           10000 * sum(credit * credit)::double / (sum(credit)::double * sum(credit)::double) as hhi,
           arg_max(org_id, (credit, org_id)) as top, max(credit)::double / sum(credit)::double as top_share
    from org_credit group by level, quarter
),
country_index as (
    select quarter, count(*) as countries,
           10000 * sum(credit * credit)::double / (sum(credit)::double * sum(credit)::double) as hhi,
           arg_max(country, (credit, country)) as top, max(credit)::double / sum(credit)::double as top_share
    from country_credit group by quarter
),
launch_counts as (
    select quarter, count(*) as launches,
           count(*) filter (where len(organization_ids) > 0) as launches_with_organization,
           count(*) filter (where len(countries) > 0) as launches_with_country
    from models group by quarter
)
select q.quarter,
       lv.level,
       coalesce(l.launches, 0) as launches,
       coalesce(l.launches_with_organization, 0) as launches_with_organization,
       coalesce(o.organizations, 0) as organizations,
       o.hhi::double as hhi_organizations,
       (10000 / o.hhi)::double as effective_organizations,
       o.top as top_organization_id,
       o.top_share::double as top_organization_share,
       coalesce(l.launches_with_country, 0) as launches_with_country,
       coalesce(c.countries, 0) as countries,
       c.hhi::double as hhi_countries,
       (10000 / c.hhi)::double as effective_countries,
       c.top as top_country,
       c.top_share::double as top_country_share,
       coalesce((q.quarter + interval 3 month - interval 1 day)::date <= core.complete_through(as_of, src, 'model.launched'),
                false) as complete,
       coalesce(l.launches_with_organization, 0) >= marts.concentration_min_launches() as enough_launches
from quarters q
cross join (values ('lab'), ('group')) lv(level)
left join launch_counts l using (quarter)
left join org_index o on o.quarter = q.quarter and o.level = lv.level
left join country_index c using (quarter)
order by q.quarter, lv.level desc;

create or replace macro marts.concentration_as_of(as_of) as table
select * from marts.concentration_of(as_of, 'log');
