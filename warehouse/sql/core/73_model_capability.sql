-- table: core.model_capability
-- doc:
--   One row per index and linked model with at least one scored version: the model's capability is that of
--   its best scored version (highest score; on a tie the earliest released, then the version name). A model's
--   versions differ by reasoning effort, API date stamp or host; the best is what the model can do, which is
--   what "who is ahead" asks. Unlinked versions are not here (see `core.capability_unlinked`).
-- column index_name: The index: `ECI`.
-- column model_id: `core.models.model_id`.
-- column model: The model's name in `core.models`.
-- column best_score: Score of its best scored version.
-- column best_model_version: That version.
-- column best_released_on: That version's release date (NULL when unknown).
-- column scored_versions: How many of its linked versions have a score.
-- example: select model_id, best_score, best_model_version, best_released_on, scored_versions from
--   core.model_capability order by best_score desc, model_id limit 5
-- refresh kind: capability_model
-- refresh columns: model_id
-- refresh stored: capability_model
-- refresh touched: refresh/model_capability.sql

-- Refresh: its script (refresh touched) marks the models whose capability may move, just
-- before the table is refreshed (the core tables before it already refreshed).
-- core.model_capability: one row per model with at least one scored, linked version; its
-- capability is that of its best scored version (the highest score; on a tie the earliest
-- released, then the version name). A model's versions differ by reasoning effort, API
-- date stamp or host: the best is what the model can do, which is what "who is ahead" asks.
create or replace macro core.model_capability_of(as_of, src) as table
select s.index_name, s.model_id, m.model,
       arg_min(s.score, (-s.score, s.released_on, s.model_version)) as best_score,
       arg_min(s.model_version, (-s.score, s.released_on, s.model_version)) as best_model_version,
       arg_min(s.released_on, (-s.score, s.released_on, s.model_version)) as best_released_on,
       count(*) as scored_versions
from core.capability_scores_in(as_of, src) s join core.models_in(as_of, src) m using (model_id)
where s.score is not null
  -- (an incremental refresh: the models marked by sql/refresh/model_capability.sql)
  and (src <> 'dirty' or s.model_id in (select key from core.dirty_keys('capability_model')))
group by all;

create or replace macro core.model_capability_as_of(as_of) as table
select * from core.model_capability_of(as_of, 'log');
