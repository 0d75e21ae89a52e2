-- Allegations: one row per allegation (its subject), with the status after the
-- latest update (by valid time, then log order) and the whole history. An accusation
-- of several organizations at once lists them all in accused_org_ids.
create or replace macro core.allegations_of(as_of, src) as table
with events as (select * from core.subject_events_in(as_of, src)),
steps as (
    select subject, event_id, event_type, occurred_at, position, source_url,
           payload ->> 'status' as status, payload ->> 'summary' as summary, payload ->> 'venue' as venue
    from events
    where event_type in ('allegation.made', 'allegation.updated')
),
made as (
    select e.subject, e.event_id, e.occurred_at,
           e.payload ->> 'accuser' as accuser, e.payload ->> 'accused' as accused, e.payload ->> 'kind' as kind
    from events e
    where e.event_type = 'allegation.made'
    qualify row_number() over (partition by e.subject order by e.occurred_at, e.position) = 1
),
history as (
    select subject,
           arg_max(status, (occurred_at, position)) as status,
           arg_max(summary, (occurred_at, position)) as latest_summary,
           arg_max(venue, (occurred_at, position)) filter (where venue is not null) as venue,
           max(occurred_at) as last_update_on,
           count(*) - 1 as updates,
           list({'on': occurred_at, 'status': status, 'summary': summary} order by occurred_at, position) as history,
           coalesce(list(distinct source_url order by source_url) filter (where source_url is not null), []) as source_urls
    from steps
    group by subject
)
select m.subject as allegation_id,
       m.accuser,
       org.org_id as accuser_org_id,
       m.accused,
       coalesce(org.org_ids, []) as accused_org_ids,
       m.kind,
       h.venue,
       h.status,
       m.occurred_at as alleged_on,
       h.last_update_on,
       h.updates,
       h.latest_summary,
       h.history,
       coalesce(h.source_urls, []) as source_urls
from made m
join history h using (subject)
-- (the mentions of these allegations' own events only: with src 'dirty', a few)
left join (select event_id,
                  min(org_id) filter (where role = 'accuser') as org_id,
                  list(distinct org_id order by org_id) filter (where role = 'accused') as org_ids
           from core.subject_mentions_in(as_of, src)
           where role in ('accuser', 'accused') and event_id in (select event_id from made)
           group by event_id) org
    on org.event_id = m.event_id;

create or replace macro core.allegations_as_of(as_of) as table
select * from core.allegations_of(as_of, 'log');
