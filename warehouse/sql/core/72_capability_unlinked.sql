-- core.capability_unlinked: the versions of core.capability_scores that link to no model of
-- core.models, with the reason; never dropped silently (they still count in the marts,
-- which group by the version's own countries and organizations).
create or replace macro core.capability_unlinked_of(as_of, src) as table
select event_id, index_name, model_version, model_name, display_name, score, released_on,
       organizations, countries, link_rule as reason
from core.capability_scores_in(as_of, src)
where model_id is null;

create or replace macro core.capability_unlinked_as_of(as_of) as table
select * from core.capability_unlinked_of(as_of, 'log');
