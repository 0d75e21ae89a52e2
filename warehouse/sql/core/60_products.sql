-- table: core.products
-- doc:
--   Products and company releases (`product.released` events): one row per product (its subject), with the
--   releasing organization resolved to `core.organizations`.
-- column product_id: Stable id (the event subject).
-- column product: Product name as first recorded.
-- column organization: Releasing organization as named.
-- column org_id: Releasing organization resolved to `core.organizations.org_id`.
-- column country: That organization's country.
-- column kind: Kind of release (chatbot, api, app, hardware, ...).
-- column released_on: Release date (earliest stated).
-- column release_precision: Precision of `released_on`.
-- column description: Description as first recorded.
-- column source_urls: Provenance URLs.
-- example: select product_id, org_id, country, kind, released_on from core.products order by released_on desc
--   limit 5
-- refresh kind: subject
-- refresh columns: product_id
-- refresh stored: stored_subject

-- Products and company releases: one row per product (its subject).
create or replace macro core.products_of(as_of, src) as table
select e.subject as product_id,
       arg_min(e.payload ->> 'product', e.position) as product,
       arg_min(e.payload ->> 'organization', e.position) as organization,
       -- (a first event naming two organizations gives the first org_id, not either)
       arg_min(m.org_id, (e.position, m.org_id)) as org_id,
       arg_min(m.country, (e.position, m.org_id)) as country,
       arg_min(e.payload ->> 'kind', e.position) as kind,
       min(e.occurred_at) as released_on,
       arg_min(e.occurred_precision, (e.occurred_at, e.position)) as release_precision,
       arg_min(e.payload ->> 'description', e.position) as description,
       coalesce(list(distinct e.source_url order by e.source_url) filter (where e.source_url is not null), []) as source_urls
from core.subject_events_in(as_of, src) e
left join core.subject_mentions_in(as_of, src) m on m.event_id = e.event_id and m.role = 'developer'
where e.event_type = 'product.released'
group by e.subject;

create or replace macro core.products_as_of(as_of) as table
select * from core.products_of(as_of, 'log');
