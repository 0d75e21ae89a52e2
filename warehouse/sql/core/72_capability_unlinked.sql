-- table: core.capability_unlinked
-- doc:
--   The versions of `core.capability_scores` that link to no model of `core.models`, with the reason: never
--   dropped silently. Most name models Epoch's notable-models table does not hold (small open models, API
--   variants such as `o4-mini`); they still count in capability marts, which group by the version's own
--   countries and organizations.
-- column event_id: The version's `capability.scored` event.
-- column index_name: The index: `ECI`.
-- column model_version: Epoch's model version.
-- column model_name: Epoch's model name (NULL when none).
-- column display_name: Epoch's display name (NULL when none).
-- column score: The index score (NULL = not scored yet).
-- column released_on: Release date (NULL when unknown).
-- column organizations: Developers as Epoch spells them.
-- column countries: ISO country codes as Epoch gives them.
-- column reason: Why it links to no model (the `link_rule` of `core.capability_scores`).
-- example: select reason, count(*) as versions, count(score) as scored from core.capability_unlinked group by
--   reason order by versions desc

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
