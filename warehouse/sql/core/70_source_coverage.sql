-- table: core.source_coverage
-- doc:
--   One row per source that appended events: what it covers and how far it is complete. `complete_through` is
--   the last day up to which the source aims to list every event of its types. A source that is a whole
--   upstream table (Epoch AI's Notable AI Models as `epoch-ai`; Epoch's Capabilities Index as `epoch-eci`) is
--   complete at most through its last event date (the table ends there, and its latest months may still fill
--   in as the publisher adds rows); any other source (the curated events, lab feeds, the Hub, reviewed
--   articles, files) is a selection and never complete (NULL). The marts mark a period that ends after the
--   latest `complete_through` among the sources of its events as incomplete (`complete` false), and the
--   report shades it. The rule per source is `core.source_completeness()` in
--   `warehouse/sql/core/70_source_coverage.sql`.
-- column source: The source as the log names it (`events.log.source`).
-- column event_types: Event types of its effective events (corrections applied, retracted events left out).
-- column events: Its effective events.
-- column first_on: Earliest date (valid time) among its events.
-- column last_on: Latest date among its events.
-- column last_retrieved_at: Latest `retrieved_at` its log rows carry (NULL when the source does not say, as
--   for files bundled with airace).
-- column last_recorded_at: When its latest log row was appended (record time; corrections and retractions
--   count).
-- column completeness: `whole_table` (a complete upstream table) or `selection` (hand-picked or partial).
-- column complete_through: The last day through which it lists every event of its types: `last_on` for a
--   whole table, NULL for a selection.
-- column complete_through_rule: How `complete_through` is defined for this source, in words.
-- example: select source, event_types, events, first_on, last_on, completeness, complete_through from
--   core.source_coverage order by source

-- Source coverage: one row per source that appended events to the log: what it covers
-- (its event types, the first and last date of its effective events), when it was last
-- retrieved (the latest retrieved_at its rows carry; NULL when the source does not say,
-- as for files bundled with airace) and last recorded (appended), and how far it is
-- complete. `complete_through` is the last day up to which the source aims to list
-- every event of its types: for a source that is a whole upstream table (Epoch AI's
-- models table, Epoch's Capabilities Index), its last event date at most (the table
-- ends there; its latest months may still fill in as the publisher adds rows, which no
-- one can know in advance); for a hand-picked or partial source (curated events, lab
-- feeds, the Hub listings, reviewed articles, files), NULL: never complete. Marts mark a
-- period past the complete_through of every source of its events as incomplete.

-- The sources that are whole upstream tables. Any other source is a selection.
create or replace macro core.source_completeness() as table
select * from (values
    ('epoch-ai', 'whole_table',
     'Epoch AI''s Notable AI Models table: meant to list every notable model; complete at most through the latest publication date it holds.'),
    ('epoch-eci', 'whole_table',
     'Epoch AI''s Capabilities Index: every model Epoch scores; complete at most through the latest release date it holds.')
) as t(source, completeness, why);

create or replace macro core.source_coverage_of(as_of, src) as table
with effective as (
    select source, list(distinct event_type order by event_type) as event_types, count(*) as events,
           min(occurred_at) as first_on, max(occurred_at) as last_on
    from core.effective_events_in(as_of, core.all_rows_of(src))
    group by source
),
logged as (
    -- (corrections and retractions included: appending one is hearing from the source)
    select source, max(retrieved_at) as last_retrieved_at, max(recorded_at) as last_recorded_at
    from events.log where recorded_at <= as_of::timestamptz
    group by source
)
select l.source,
       coalesce(e.event_types, []) as event_types,
       coalesce(e.events, 0) as events,
       e.first_on,
       e.last_on,
       l.last_retrieved_at,
       l.last_recorded_at,
       coalesce(c.completeness, 'selection') as completeness,
       case when c.completeness = 'whole_table' then e.last_on end as complete_through,
       coalesce(c.why, 'A selection (hand-picked or partial): never complete.') as complete_through_rule
from logged l
left join effective e using (source)
left join core.source_completeness() c using (source)
order by l.source;

create or replace macro core.source_coverage_as_of(as_of) as table
select * from core.source_coverage_of(as_of, 'log');
