-- table: core.allegations
-- doc:
--   One row per allegation (its subject): a public accusation, a lawsuit (or prosecution) or a regulator's
--   inquiry or study (`nature`), who is on each side (every named party, with its country), of what, and
--   where it stands after the latest update (by valid time, then log order), with that update's source and
--   the whole history. Only accusations and lawsuits are edges of `marts.allegations_network`: an inquiry
--   (the FTC's 6(b) orders) accuses no one.
-- column allegation_id: Stable id (the event subject, `allegation:...`).
-- column nature: accusation (a party says another did wrong), lawsuit (a court case or prosecution) or
--   inquiry (a regulator's or legislature's investigation or study). A log row written before
--   `allegation.made` v2 has it read from its venue.
-- column accusers: Accusers as named, one per party (plaintiffs, prosecutor; for an inquiry, whoever opened
--   it).
-- column accuser_org_ids: Accusers resolved to `core.organizations.org_id`, one per organization or person
--   named (co-plaintiffs all kept).
-- column accused: Accused as named, one per party (empty: unnamed).
-- column accused_org_ids: Accused resolved to `core.organizations.org_id`, one per organization named (empty:
--   unnamed).
-- column parties: Every party: `role` (accuser or accused), `org_id`, `name` (as named), `country` (the
--   registry's; NULL when unknown).
-- column kind: Subject matter: distillation, ip_theft, copyright, data_scraping, privacy, safety, antitrust,
--   other ...
-- column venue: Court, regulator or forum (latest stated).
-- column status: Latest status (as of `last_update_on`): alleged, denied, under_investigation, ruled,
--   confirmed, settled, dismissed, withdrawn.
-- column status_source_url: Source of the step that set `status` (e.g. the court order or settlement notice;
--   NULL when that step gave none).
-- column alleged_on: Date the allegation was made.
-- column last_update_on: Date of the latest step (the date of `status`).
-- column updates: Number of updates after the first allegation.
-- column latest_summary: Summary of the latest step.
-- column history: Every step: `on` (date), `status`, `summary`, `source_url`, in order.
-- column source_urls: Provenance URLs.
-- example: select allegation_id, nature, accuser_org_ids, accused_org_ids, status, last_update_on from
--   core.allegations where kind in ('distillation', 'antitrust') order by alleged_on
-- refresh kind: subject
-- refresh columns: allegation_id
-- refresh stored: stored_subject

-- Allegations: one row per allegation (its subject): its nature (accusation, lawsuit or
-- inquiry), every named party on each side with its organization id and country, and
-- the status after the latest update (by valid time, then log order) with that update's
-- date and source, and the whole history. Co-plaintiffs and co-defendants are all kept:
-- accuser_org_ids and accused_org_ids list them, `parties` names each with its country.
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
           core.allegation_nature(e.payload) as nature,
           core.allegation_parties(e.payload, 'accusers') as accusers,
           core.allegation_parties(e.payload, 'accused') as accused,
           e.payload ->> 'kind' as kind
    from events e
    where e.event_type = 'allegation.made'
    qualify row_number() over (partition by e.subject order by e.occurred_at, e.position) = 1
),
history as (
    select subject,
           arg_max(status, (occurred_at, position)) as status,
           -- the source of the step that set the status (a court order, a settlement notice)
           arg_max(source_url, (occurred_at, position)) as status_source_url,
           arg_max(summary, (occurred_at, position)) as latest_summary,
           arg_max(venue, (occurred_at, position)) filter (where venue is not null) as venue,
           max(occurred_at) as last_update_on,
           count(*) - 1 as updates,
           list({'on': occurred_at, 'status': status, 'summary': summary, 'source_url': source_url}
                order by occurred_at, position) as history,
           coalesce(list(distinct source_url order by source_url) filter (where source_url is not null), []) as source_urls
    from steps
    group by subject
),
-- (the mentions of these allegations' own events only: with src 'dirty', a few)
-- One party per side and organization (two spellings of one organization are one party).
parties as (
    select event_id, role, org_id, min(raw_name) as name, min(country) as country
    from core.subject_mentions_in(as_of, src)
    where role in ('accuser', 'accused') and event_id in (select event_id from made)
    group by all
),
sides as (
    select event_id,
           list({'role': role, 'org_id': org_id, 'name': name, 'country': country}
                order by role <> 'accuser', name, org_id) as parties,
           coalesce(list(org_id order by org_id) filter (where role = 'accuser'), []) as accuser_org_ids,
           coalesce(list(org_id order by org_id) filter (where role = 'accused'), []) as accused_org_ids
    from parties
    group by event_id
)
select m.subject as allegation_id,
       m.nature,
       m.accusers,
       coalesce(s.accuser_org_ids, []) as accuser_org_ids,
       m.accused,
       coalesce(s.accused_org_ids, []) as accused_org_ids,
       coalesce(s.parties, []) as parties,
       m.kind,
       h.venue,
       h.status,
       h.status_source_url,
       m.occurred_at as alleged_on,
       h.last_update_on,
       h.updates,
       h.latest_summary,
       h.history,
       coalesce(h.source_urls, []) as source_urls
from made m
join history h using (subject)
left join sides s on s.event_id = m.event_id;

create or replace macro core.allegations_as_of(as_of) as table
select * from core.allegations_of(as_of, 'log');
