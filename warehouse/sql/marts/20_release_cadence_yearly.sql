-- table: marts.release_cadence_yearly
-- doc:
--   Per organization and calendar year: launches and the median days between consecutive launches (each gap
--   counted in the year of the later launch, from `marts.release_cadence`). A dense grid from the
--   organization's first launch year to the last year in the data. The trend: `median_gap_change_days`
--   compares with the latest earlier year that had a gap, `trend_days_per_year` is the least-squares slope of
--   the yearly medians (negative = launching more often).
-- column org_id: Organization.
-- column organization: Its canonical name.
-- column country: Its country.
-- column year: Calendar year.
-- column launches: Launches that year.
-- column gaps: Gaps ending that year (launches that had a predecessor).
-- column median_gap_days: Median of those gaps (NULL when none).
-- column median_gap_change_days: This year's median minus the latest earlier year's median (NULL when either
--   is missing).
-- column trend_days_per_year: Slope of the yearly medians over the organization's years, days per year (NULL
--   with fewer than two years of gaps).
-- column complete: True when the year ends on or before the day launches are complete through
--   (`core.source_coverage.complete_through` of a whole-table source: Epoch AI's). Later years hold only
--   hand-picked launches: a drop there is missing data, not a slowdown.
-- example: select year, launches, gaps, median_gap_days, median_gap_change_days from
--   marts.release_cadence_yearly where org_id = 'openai' and year >= 2019 order by year
-- refresh kind: cadence_org
-- refresh columns: org_id
-- refresh touched: marts.release_cadence_touched_groups()
-- refresh scope: marts.release_cadence_yearly_last_year()

-- Refresh kind: the groups of marts.release_cadence, marked once for both.
-- marts.release_cadence_yearly: per organization and calendar year, its launches and
-- the median days between consecutive launches (gaps counted in the year of the later
-- launch, from marts.release_cadence). A dense grid from the organization's first
-- launch year to the last year in the data. The trend: `median_gap_change_days` is
-- this year's median minus the latest earlier year's median (negative = launching more
-- often), and `trend_days_per_year` is the least-squares slope of the yearly medians
-- over the organization's years (NULL with fewer than two years of gaps).
-- `complete`: the year ends on or before the day launches are complete through
-- (core.source_coverage); a later year holds only hand-picked launches.

-- An organization's rows depend only on its own rows of marts.release_cadence and on
-- the last year with a launch: an incremental refresh recomputes the organizations
-- whose cadence it recomputes (kind 'cadence_org'), unless that year or the launches'
-- complete_through moved (the scope). (The year is the
-- last launch year of core.models among models with an organization: the launches
-- marts.release_cadence lists.)
create or replace macro marts.release_cadence_yearly_last_year() as {
    'last_year': (select max(year(launched_on)) from core.models where len(organization_ids) > 0),
    'complete_through': core.complete_through('infinity', 'state', 'model.launched')
};

create or replace macro marts.release_cadence_yearly_of(as_of, src) as table
with every_row as (select * from marts.release_cadence_in(as_of, src)),
cadence as (
    select * from every_row
    -- (an org_id is never NULL: matched to the group's one column, not a key built per row)
    where src <> 'dirty' or org_id in (select key::json ->> 0 from core.dirty_keys('cadence_org'))
),
spans as (
    select org_id, any_value(organization) as organization, any_value(country) as country,
           min(year(launched_on)) as first_year
    from cadence group by org_id
),
grid as (
    select s.org_id, s.organization, s.country,
           unnest(range(s.first_year, (select max(year(launched_on)) from every_row) + 1)) as year
    from spans s
),
per_year as (
    select org_id, year(launched_on) as year, count(*) as launches,
           count(gap_days) as gaps, median(gap_days)::double as median_gap_days
    from cadence group by all
),
dense as (
    select g.org_id, g.organization, g.country, g.year::integer as year,
           coalesce(p.launches, 0) as launches, coalesce(p.gaps, 0) as gaps, p.median_gap_days
    from grid g left join per_year p using (org_id, year)
)
select org_id, organization, country, year, launches, gaps, median_gap_days,
       median_gap_days - last_value(median_gap_days ignore nulls) over (
           partition by org_id order by year rows between unbounded preceding and 1 preceding) as median_gap_change_days,
       -- The least-squares slope from exact sums (medians are multiples of 0.5, years
       -- integers), not regr_slope, whose floating-point result can depend on row order.
       ((n * sxy - sx * sy) / nullif(n * sxx - sx * sx, 0))::double as trend_days_per_year,
       coalesce(make_date(year, 12, 31) <= core.complete_through(as_of, src, 'model.launched'), false) as complete
from (
    select *,
           count(median_gap_days) over o as n,
           sum(year::decimal(18, 4)) filter (where median_gap_days is not null) over o as sx,
           sum(median_gap_days::decimal(18, 4)) over o as sy,
           sum(year::decimal(18, 4) * median_gap_days::decimal(18, 4)) over o as sxy,
           sum(year::decimal(18, 4) * year::decimal(18, 4)) filter (where median_gap_days is not null) over o as sxx
    from dense
    window o as (partition by org_id)
)
order by org_id, year;

create or replace macro marts.release_cadence_yearly_as_of(as_of) as table
select * from marts.release_cadence_yearly_of(as_of, 'log');
