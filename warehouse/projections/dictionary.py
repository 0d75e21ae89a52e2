"""Writes warehouse/DATA_DICTIONARY.md: the meanings written here, the column types read
from the tables, and each example query's real output on a build.

    python -m warehouse.projections.dictionary [SNAPSHOT]      (default: the published snapshot)

tests/test_data_dictionary.py fails when a table or column is missing from the
dictionary, so adding a column means adding its meaning here and regenerating.
"""

import sys
from pathlib import Path

import duckdb

from warehouse.home import WarehouseHome
from warehouse.projections.refresh import CORE_TABLES, MART_TABLES

DICTIONARY = Path(__file__).resolve().parents[1] / "DATA_DICTIONARY.md"
HEAD = """# airace data dictionary

What every table analysts query holds: its definition, its columns (name, DuckDB type, meaning) and an
example query with its real output on the bundled build (`airace run` on a fresh clone: Epoch AI's
notable-models and Capabilities Index snapshots plus the curated events). `tests/test_data_dictionary.py` checks that every table
in `warehouse.projections.refresh.CORE_TABLES + MART_TABLES` is documented here with exactly the columns and types
it has, so this file cannot drift from the SQL.

Conventions:

* **Valid time vs record time.** Dates such as `launched_on` are when things happened (valid time). Every
  table is also a table macro `<table>_as_of(as_of)` over the log as recorded up to `as_of` (record time):
  `select * from marts.catch_up_lag_as_of('2026-01-01'::timestamptz)`, or `airace sql --as-of 2026-01-01 "..."`
  which rebuilds everything as it was known then, so a past report can be reproduced exactly after later
  corrections.
* **Corrections and retractions** are applied everywhere (`core.effective_events`); the log keeps both.
* **Refreshing.** After an append only the new log rows are projected: the intermediate tables in the
  `projection_state` schema (effective events, organization mentions, model launches, and a checkpoint of
  the last position projected) are kept for that and are not meant for analysis. The tables are always
  exactly what a rebuild from the whole log gives.
* **Unknown is NULL**, never 0 (compute, parameters, dates). Lists are empty when nothing is known.
* **Dates of lower precision** (month, year) sit on the first day of their month or year in grids; the
  `*_precision` columns say which.
* **Countries** are ISO 3166 alpha-2 codes: a model's are those its sources give (all of them), the organization registry's only where no source gives one; `EU` and `INT` (international)
  also occur. Hong Kong is `HK`, separate from `CN`, except in `marts.catch_up_lag` and `marts.capability_gap`
  (US vs China), which fold HK into China.
* **Yardsticks: training compute vs capability.** `marts.frontier_timeline`, `marts.catch_up_lag` and
  `marts.catch_up_lag_yearly` measure the race in **training compute** (FLOP, from Epoch AI's models table):
  what a model's training cost. `marts.capability_frontier`, `marts.capability_gap` and
  `marts.capability_gap_yearly` measure it on a **capability index** (Epoch AI's Capabilities Index, ECI, in
  `core.capability_scores`): what models can do on benchmarks. They disagree, and both are shown: compute is an
  input, and a lab can reach a capability with less of it (more efficient training, distillation, post-training
  and reasoning at inference), so a rival can match a capability long before it matches the compute (or never
  match the compute); compute is known only where Epoch could estimate it, while ECI covers only the versions
  Epoch has benchmarked (scores from 2023 on) and is re-fitted when benchmarks are added (a re-fit corrects the
  scores, and the capability marts follow); and the compute marts count models, the capability marts model
  versions (a reasoning-effort setting or a dated API release is its own version).
* **Joint work** counts for each developing organization in per-organization counts
  (`marts.releases_monthly`, `marts.release_cadence`) and fractionally (1/n each) in `marts.concentration`.

Model data: Epoch AI, "Data on AI Models", https://epoch.ai/data/ai-models (CC BY 4.0).
Capability scores: Epoch AI, Epoch Capabilities Index, https://epoch.ai/benchmarks/eci (CC BY 4.0).
"""

T = {}  # table -> (definition, {col: meaning}, example sql)

T["core.organizations"] = (
"""Every organization airace knows: the curated registry (`warehouse/reference/organizations.csv`) plus each organization an event names that the registry does not know yet (`in_registry` false; its id is a slug of the name). Names are matched whole first (also without a parenthetical qualifier), then split on `,`, `&`, `;`, `/` and ` and `; case, accents, punctuation and spaces are ignored. Hong Kong organizations have the country code `HK` (not folded into `CN` here; see `marts.catch_up_lag`).""",
{"org_id": "Stable id (registry id, or a slug of the name for unregistered organizations).",
 "name": "Canonical name (the registry's, else the most common spelling in events).",
 "country": "ISO 3166 alpha-2 country of the organization (registry; else from the event when unambiguous). `INT` = international.",
 "kind": "Registry kind: lab, big_tech, company, university, research_institute, government, ... NULL when unregistered.",
 "aliases": "Other spellings: the registry's aliases plus every spelling seen in events.",
 "in_registry": "True when the organization is in the curated registry.",
 "first_event_on": "Valid date of the first event naming it (NULL if none yet).",
 "events": "Number of (effective) events naming it.",
 "parent_id": "Its parent organization now (`warehouse/reference/organization_parents.csv`, each period citing its source): DeepMind and Google Brain `merged_into` Google DeepMind on 2023-04-20, Google DeepMind part of Google, Google of Alphabet. NULL when it has none.",
 "parent_relation": "`part_of` or `merged_into` (the lab stopped releasing under its own name and its work continued in the parent).",
 "parent_from": "First day of that parent (NULL: since the organization began).",
 "parent_to": "Day the parent ended, exclusive (NULL: still).",
 "group_id": "The group it belongs to now: the top of its parent chain (`alphabet` for Google, DeepMind, Google Brain and Google DeepMind); itself when it has no parent. The group on a given day is `core.organization_group(org_id, day)`.",
 "group_from": "First day of the current group membership (NULL: always)."},
"select org_id, name, country, parent_id, parent_relation, parent_from, group_id, group_from from core.organizations where group_id = 'alphabet' order by org_id")

T["core.models"] = (
"""One row per model, however many sources report it (Epoch AI's notable-models table, the curated bundle, feeds). The identity rule (one place: `core.model_key` and `core.model_launches_of`; `core.model_identity` shows it per event): an event's model is the key of the name it gives (`core.model_key`: case, accents, punctuation, spacing and a `.0` minor version ignored; `+`, version numbers, sizes and suffixes kept, so PointNet++ is not PointNet), unless `warehouse/reference/model_aliases.csv` maps that key to another model, for any developer or only when the event names the alias's organization (the organization is part of the key: the curated "GPT-3" by OpenAI is Epoch's "GPT-3 175B (davinci)"). The launch date is the earliest any source gives (comparing the last day each date can stand for; the more precise date wins a tie); other attributes come from the first-recorded event that states them. Corrections are applied and retracted events removed. Empty source cells are unknown (NULL), never 0.""",
{"model_id": "Stable id: `core.model_key` of the model name (or of its alias target).",
 "model": "The name whose key the id is, when a source gives it; else the name first recorded.",
 "organizations": "Developing organizations as the source spells them.",
 "organization_ids": "Developing organizations resolved to `core.organizations.org_id` (sorted).",
 "countries": "Every country the sources give for the model (Epoch's `Country (of organization)` list whole, the union over sources; a model of two countries is in both); the developers' registry countries only where no source gives one. HK separate from CN.",
 "countries_from": "`source` (the countries are the sources'), `registry` (no source gave one: the developers' registry countries) or NULL (none known).",
 "launched_on": "Launch (publication) date; a month- or year-precise date sits on the first day of its month/year.",
 "launch_precision": "Precision of `launched_on`: day, month or year.",
 "open_weights": "True when the weights are downloadable (any licence), false when not, NULL when unknown.",
 "access": "open_weights, api, hosted or unreleased (NULL when unknown).",
 "access_detail": "The source's own accessibility wording (e.g. Epoch's 'Open weights (non-commercial)').",
 "parameters": "Parameter count (NULL when unknown).",
 "training_compute_flop": "Training compute in FLOP (NULL when unknown).",
 "training_dataset_size": "Training dataset size in Epoch's units (datapoints/tokens; NULL when unknown).",
 "domains": "Domains (language, vision, games, ...).",
 "tasks": "Tasks (as listed by the source).",
 "epoch_frontier": "Epoch AI's own 'Frontier model' column, as Epoch gives it: true when flagged, false when Epoch lists the model unflagged, NULL when Epoch does not list the model. Never set by another source.",
 "curated_frontier": "The curated bundle's hand judgment (its events' `frontier`): true/false, NULL when the curated bundle does not list the model. Kept apart from Epoch's. Our computed flag (top 10 by training compute at release) is `marts.frontier_timeline.compute_frontier`.",
 "base_model": "The model it was fine-tuned from, when stated.",
 "hardware": "Training hardware, when stated.",
 "sources": "Sources that report this model (e.g. epoch-ai, curated).",
 "source_urls": "Provenance URLs of those events.",
 "event_ids": "The `model.launched` events behind this row, in log order.",
 "launch_events": "Number of those events.",
 "first_recorded_at": "When airace first recorded the model (record time)."},
"select model_id, launched_on, organization_ids, countries, open_weights, training_compute_flop, epoch_frontier, curated_frontier from core.models where model_id in ('glm-4-6', 'glm-5', 'gpt-4') order by launched_on")

T["core.model_identity"] = (
"""Which source record became which model, and by which rule: one row per effective `model.launched` event. `identity_rule` is `name` (the key of the name the event gives, `core.model_key`), `alias` or `alias for organization` (`warehouse/reference/model_aliases.csv`, whose note is the `reason`). Two rows of `core.models` share a normalized name only when an alias for organization keeps a homonym apart, and this table gives the reason. `developers_agree` is false when an event's developers share no group (on its date) with the model's other events: a name that meets across unrelated developers, to be looked at.""",
{"model_id": "The model it became (`core.models.model_id`).",
 "event_id": "The `model.launched` event.",
 "source": "Its source.",
 "source_ref": "Its natural key in the source (e.g. Epoch's model name).",
 "model_name": "The model name the event gives.",
 "name_key": "`core.model_key(model_name)`.",
 "identity_rule": "`name`, `alias` or `alias for organization`.",
 "reason": "Why: 'same normalized name', or the alias's note.",
 "organization_ids": "The event's developers (`core.organizations.org_id`).",
 "group_ids": "Their groups on the event's date (`core.organization_group`).",
 "developers_agree": "False when these groups share none with the model's other events (both sides known).",
 "occurred_at": "The date the event gives."},
"select model_id, source, model_name, identity_rule, reason from core.model_identity where identity_rule <> 'name' order by model_id, source limit 6")

T["core.model_conflicts"] = (
"""Where sources disagree on a model's launch date: one row per model and source, for models where two sources give periods that do not overlap ("2025-09" and "2025-09-30" agree; "2025-09-30" and "2025-10-02" do not). `kept` marks the date `core.models` shows (the earliest).""",
{"model_id": "The model (`core.models.model_id`).",
 "field": "The disputed field (`launched_on`).",
 "source": "The source giving this value.",
 "value": "That source's value, as text.",
 "precision": "Precision of that source's date.",
 "event_id": "The event carrying the value.",
 "kept": "True for the value `core.models` keeps."},
"select model_id, source, value, precision, kept from core.model_conflicts order by model_id, source limit 6")

T["core.allegations"] = (
"""One row per allegation (its subject): a public accusation, a lawsuit (or prosecution) or a regulator's inquiry or study (`nature`), who is on each side (every named party, with its country), of what, and where it stands after the latest update (by valid time, then log order), with that update's source and the whole history. Only accusations and lawsuits are edges of `marts.allegations_network`: an inquiry (the FTC's 6(b) orders) accuses no one.""",
{"allegation_id": "Stable id (the event subject, `allegation:...`).",
 "nature": "accusation (a party says another did wrong), lawsuit (a court case or prosecution) or inquiry (a regulator's or legislature's investigation or study). A log row written before `allegation.made` v2 has it read from its venue.",
 "accusers": "Accusers as named, one per party (plaintiffs, prosecutor; for an inquiry, whoever opened it).",
 "accuser_org_ids": "Accusers resolved to `core.organizations.org_id`, one per organization or person named (co-plaintiffs all kept).",
 "accused": "Accused as named, one per party (empty: unnamed).",
 "accused_org_ids": "Accused resolved to `core.organizations.org_id`, one per organization named (empty: unnamed).",
 "parties": "Every party: `role` (accuser or accused), `org_id`, `name` (as named), `country` (the registry's; NULL when unknown).",
 "kind": "Subject matter: distillation, ip_theft, copyright, data_scraping, privacy, safety, antitrust, other ...",
 "venue": "Court, regulator or forum (latest stated).",
 "status": "Latest status (as of `last_update_on`): alleged, denied, under_investigation, ruled, confirmed, settled, dismissed, withdrawn.",
 "status_source_url": "Source of the step that set `status` (e.g. the court order or settlement notice; NULL when that step gave none).",
 "alleged_on": "Date the allegation was made.",
 "last_update_on": "Date of the latest step (the date of `status`).",
 "updates": "Number of updates after the first allegation.",
 "latest_summary": "Summary of the latest step.",
 "history": "Every step: `on` (date), `status`, `summary`, `source_url`, in order.",
 "source_urls": "Provenance URLs."},
"select allegation_id, nature, accuser_org_ids, accused_org_ids, status, last_update_on from core.allegations where kind in ('distillation', 'antitrust') order by alleged_on")

T["core.policies"] = (
"""One row per policy (its subject): a law, executive order, export control, guideline, standard, strategy or treaty, with its current stage (the latest by valid time) and every stage it went through.""",
{"policy_id": "Stable id (the event subject, `policy:...`).",
 "jurisdiction": "Country code, `EU`, or `INT` (latest stated).",
 "instrument": "law, regulation, executive_order, export_control, guideline, standard, strategy, treaty, other.",
 "title": "Title (latest stated).",
 "stage": "Current stage: proposed, adopted, published (in an official journal), in_force (entry into force), applies (a set of provisions starts to apply), amended, revoked, withdrawn.",
 "first_event_on": "Date of its first step.",
 "last_change_on": "Date of its latest step.",
 "changes": "Number of steps (policy.changed events).",
 "stages": "Every step: `on`, `precision`, `stage`, in order.",
 "topics": "Topics (union over its steps).",
 "source_urls": "Provenance URLs."},
"select policy_id, jurisdiction, instrument, stage, first_event_on, changes from core.policies where jurisdiction in ('US', 'CN') order by last_change_on desc limit 5")

T["core.products"] = (
"""Products and company releases (`product.released` events): one row per product (its subject), with the releasing organization resolved to `core.organizations`.""",
{"product_id": "Stable id (the event subject).",
 "product": "Product name as first recorded.",
 "organization": "Releasing organization as named.",
 "org_id": "Releasing organization resolved to `core.organizations.org_id`.",
 "country": "That organization's country.",
 "kind": "Kind of release (chatbot, api, app, hardware, ...).",
 "released_on": "Release date (earliest stated).",
 "release_precision": "Precision of `released_on`.",
 "description": "Description as first recorded.",
 "source_urls": "Provenance URLs."},
"select product_id, org_id, country, kind, released_on from core.products order by released_on desc limit 5")

T["core.source_coverage"] = (
"""One row per source that appended events: what it covers and how far it is complete. `complete_through` is the last day up to which the source aims to list every event of its types. A source that is a whole upstream table (Epoch AI's Notable AI Models as `epoch-ai`; Epoch's Capabilities Index as `epoch-eci`) is complete at most through its last event date (the table ends there, and its latest months may still fill in as the publisher adds rows); any other source (the curated events, lab feeds, the Hub, reviewed articles, files) is a selection and never complete (NULL). The marts mark a period that ends after the latest `complete_through` among the sources of its events as incomplete (`complete` false), and the report shades it. The rule per source is `core.source_completeness()` in `warehouse/sql/core/70_source_coverage.sql`.""",
{"source": "The source as the log names it (`events.log.source`).",
 "event_types": "Event types of its effective events (corrections applied, retracted events left out).",
 "events": "Its effective events.",
 "first_on": "Earliest date (valid time) among its events.",
 "last_on": "Latest date among its events.",
 "last_retrieved_at": "Latest `retrieved_at` its log rows carry (NULL when the source does not say, as for files bundled with airace).",
 "last_recorded_at": "When its latest log row was appended (record time; corrections and retractions count).",
 "completeness": "`whole_table` (a complete upstream table) or `selection` (hand-picked or partial).",
 "complete_through": "The last day through which it lists every event of its types: `last_on` for a whole table, NULL for a selection.",
 "complete_through_rule": "How `complete_through` is defined for this source, in words."},
"select source, event_types, events, first_on, last_on, completeness, complete_through from core.source_coverage order by source")

T["core.capability_scores"] = (
"""One row per model version scored on a capability index: Epoch AI's Capabilities Index (ECI, source `epoch-eci`, one `capability.scored` event per row of Epoch's table), with Epoch's later re-fits applied as corrections. A version is one reasoning effort, API date stamp or host of a model (`gpt-5-2025-08-07_high`); versions without a score yet are kept (`score` NULL). Each version is linked to `core.models` by the identity rule every source shares: its model name (else its version name) normalized as model ids are (`core.model_key`), through `warehouse/reference/model_aliases.csv`, to a model that exists and shares a developer with the version (or has none known). `link_rule` says which rule linked it, or why none did; unlinked versions are listed in `core.capability_unlinked` and still carry their own organizations and countries.""",
{"event_id": "The version's `capability.scored` event.",
 "index_name": "The index: `ECI`.",
 "model_version": "Epoch's model version (its natural key), e.g. `gpt-5-2025-08-07_high`.",
 "model_name": "Epoch's model name (NULL when Epoch gives none).",
 "display_name": "Epoch's display name (NULL when none).",
 "score": "The index score (ECI units; higher is more capable). NULL = not scored yet, never 0.",
 "released_on": "Release date as Epoch gives it (NULL when unknown).",
 "organization_ids": "Developers resolved to `core.organizations.org_id` (sorted).",
 "organizations": "Developers as Epoch spells them.",
 "countries": "ISO codes of the developers' countries as Epoch gives them (HK separate from CN).",
 "open_weights": "True for open weights (any licence), false for API/hosted/unreleased, NULL when unknown.",
 "access": "open_weights, api, hosted or unreleased (NULL when unknown).",
 "confidence": "Epoch's confidence label as given: Confident, Likely, Speculative, Unknown or Unverified.",
 "training_compute_flop": "Training compute in FLOP as Epoch gives it (NULL when unknown).",
 "model_id": "The `core.models.model_id` the version links to; NULL when it links to none.",
 "link_rule": "How it linked ('linked by model name', 'linked by alias of model name', 'linked by version name', ...) or why not ('unlinked: ...')."},
"select model_version, score, released_on, model_id, link_rule from core.capability_scores where score is not null order by score desc, model_version limit 5")

T["core.capability_unlinked"] = (
"""The versions of `core.capability_scores` that link to no model of `core.models`, with the reason: never dropped silently. Most name models Epoch's notable-models table does not hold (small open models, API variants such as `o4-mini`); they still count in capability marts, which group by the version's own countries and organizations.""",
{"event_id": "The version's `capability.scored` event.",
 "index_name": "The index: `ECI`.",
 "model_version": "Epoch's model version.",
 "model_name": "Epoch's model name (NULL when none).",
 "display_name": "Epoch's display name (NULL when none).",
 "score": "The index score (NULL = not scored yet).",
 "released_on": "Release date (NULL when unknown).",
 "organizations": "Developers as Epoch spells them.",
 "countries": "ISO country codes as Epoch gives them.",
 "reason": "Why it links to no model (the `link_rule` of `core.capability_scores`)."},
"select reason, count(*) as versions, count(score) as scored from core.capability_unlinked group by reason order by versions desc")

T["core.model_capability"] = (
"""One row per index and linked model with at least one scored version: the model's capability is that of its best scored version (highest score; on a tie the earliest released, then the version name). A model's versions differ by reasoning effort, API date stamp or host; the best is what the model can do, which is what "who is ahead" asks. Unlinked versions are not here (see `core.capability_unlinked`).""",
{"index_name": "The index: `ECI`.",
 "model_id": "`core.models.model_id`.",
 "model": "The model's name in `core.models`.",
 "best_score": "Score of its best scored version.",
 "best_model_version": "That version.",
 "best_released_on": "That version's release date (NULL when unknown).",
 "scored_versions": "How many of its linked versions have a score."},
"select model_id, best_score, best_model_version, best_released_on, scored_versions from core.model_capability order by best_score desc, model_id limit 5")

T["marts.releases_monthly"] = (
"""Model launches per month and developing organization. A dense grid: every organization has a row for every month from its first launch to the last month in the data, so rolling windows count calendar months. A joint launch counts once for each developing organization (so `share_of_month` is of organization credits). Launches known only to the month or year sit on its first month.""",
{"month": "First day of the month.",
 "org_id": "Organization (`core.organizations.org_id`).",
 "organization": "Its canonical name.",
 "country": "Its country.",
 "launches": "Models it launched that month.",
 "launches_day_precision": "Of those, launches with a day-precise date.",
 "rolling_3m": "Launches in the 3 months ending with this one.",
 "rolling_12m": "Launches in the 12 months ending with this one.",
 "cumulative": "Launches from its first month to this one.",
 "share_of_month": "Its launches / all organizations' launches that month (0 when none).",
 "complete": "True when the month ends on or before the day launches are complete through (`core.source_coverage.complete_through` of a whole-table source: Epoch AI's). Later months hold only hand-picked launches: a drop there is missing data, not a slowdown."},
"select organization, country, rolling_12m, cumulative from marts.releases_monthly where month = '2025-06-01' order by rolling_12m desc, organization limit 5")

T["marts.releases_monthly_by_country"] = (
"""Model launches per month and country of the developers (`core.models.countries`; HK stays its own code). A dense grid per country from its first launch to the last month in the data. A model developed in two countries counts once for each; a model whose country is unknown is left out.""",
{"month": "First day of the month.",
 "country": "ISO country code of a developer.",
 "launches": "Models launched that month with a developer in that country.",
 "launches_day_precision": "Of those, launches with a day-precise date.",
 "rolling_3m": "Launches in the 3 months ending with this one.",
 "rolling_12m": "Launches in the 12 months ending with this one.",
 "cumulative": "Launches from the country's first month to this one.",
 "share_of_month": "Its launches / all countries' launches that month.",
 "complete": "True when the month ends on or before the day launches are complete through (`core.source_coverage.complete_through` of a whole-table source: Epoch AI's). Later months hold only hand-picked launches: a drop there is missing data, not a slowdown."},
"select country, sum(launches) as launches_2024, round(avg(share_of_month), 3) as mean_share from marts.releases_monthly_by_country where year(month) = 2024 group by country order by launches_2024 desc limit 5")

T["marts.release_cadence"] = (
"""One row per organization and model launch, with the days since that organization's previous launch. Launches are ordered by launch date, then model id; a joint launch counts for each developing organization; a gap of 0 is two launches on the same day. A month- or year-precise date sits on its first day, so `gap_exact` says whether both ends are day-precise.""",
{"org_id": "Organization (`core.organizations.org_id`).",
 "organization": "Its canonical name.",
 "country": "Its country.",
 "model_id": "The launched model.",
 "model": "Its name.",
 "launched_on": "Launch date.",
 "launch_precision": "Precision of `launched_on`.",
 "launch_number": "1 for the organization's first launch, 2 for the next, ...",
 "previous_model_id": "The organization's previous launch (NULL for the first).",
 "previous_launched_on": "Its date.",
 "gap_days": "`launched_on - previous_launched_on` in days (NULL for the first launch).",
 "gap_exact": "True when both dates are day-precise (NULL for the first launch).",
 "median_gap_days": "The organization's median gap over all its launches.",
 "organization_launches": "The organization's number of launches.",
 "complete": "True when the launch is on or before the day launches are complete through (`core.source_coverage`); a later gap may span launches no source lists, so it can be too long."},
"select organization, any_value(organization_launches) as launches, any_value(median_gap_days) as median_gap_days from marts.release_cadence where org_id in ('openai', 'google-deepmind', 'alibaba', 'deepseek', 'anthropic') group by organization order by median_gap_days")

T["marts.release_cadence_yearly"] = (
"""Per organization and calendar year: launches and the median days between consecutive launches (each gap counted in the year of the later launch, from `marts.release_cadence`). A dense grid from the organization's first launch year to the last year in the data. The trend: `median_gap_change_days` compares with the latest earlier year that had a gap, `trend_days_per_year` is the least-squares slope of the yearly medians (negative = launching more often).""",
{"org_id": "Organization.",
 "organization": "Its canonical name.",
 "country": "Its country.",
 "year": "Calendar year.",
 "launches": "Launches that year.",
 "gaps": "Gaps ending that year (launches that had a predecessor).",
 "median_gap_days": "Median of those gaps (NULL when none).",
 "median_gap_change_days": "This year's median minus the latest earlier year's median (NULL when either is missing).",
 "trend_days_per_year": "Slope of the yearly medians over the organization's years, days per year (NULL with fewer than two years of gaps).",
 "complete": "True when the year ends on or before the day launches are complete through (`core.source_coverage.complete_through` of a whole-table source: Epoch AI's). Later years hold only hand-picked launches: a drop there is missing data, not a slowdown."},
"select year, launches, gaps, median_gap_days, median_gap_change_days from marts.release_cadence_yearly where org_id = 'openai' and year >= 2019 order by year")

T["marts.frontier_timeline"] = (
"""The frontier of training compute over time, who held it and for how long, beside three frontier flags (Epoch's, the curated bundle's and ours). **Yardstick: training compute** (FLOP spent on training), not capability: see `marts.capability_frontier` and *Yardsticks* above.

* **Compute record** (`is_compute_record`): a model whose `training_compute_flop` exceeds that of every other model launched on or before its launch date (strictly; a tie sets no record). Models with unknown compute never set a record. The record is held from the model's launch until the next record (`held_until`).
* **Frontier flags**, each named by who sets it and never mixed: `epoch_frontier` is `core.models.epoch_frontier`, Epoch AI's "Frontier model" column (Epoch's own curation of models near the top of training compute when released, judged against its whole database; NULL where Epoch does not list the model); `curated_frontier` is the curated bundle's hand judgment (`core.models.curated_frontier`); `compute_frontier` is ours, by a written rule on the data: the model's training compute is among the 10 largest known for models launched on or before its launch date (itself included, ties at the 10th counting), after Epoch's description of its flag as the top 10 by training compute when released. The flags cover models the record does not (a model can be frontier without beating the record). One row per model that is a compute record or has any flag.

One row per model that is a compute record or is flagged by Epoch.""",
{"model_id": "The model.",
 "model": "Its name.",
 "organizations": "Developers as the source spells them.",
 "organization_ids": "Developers (`core.organizations.org_id`).",
 "countries": "Developers' countries.",
 "launched_on": "Launch date.",
 "launch_precision": "Precision of `launched_on`.",
 "training_compute_flop": "Training compute, FLOP (NULL when unknown).",
 "open_weights": "Open weights or not (NULL unknown).",
 "is_compute_record": "True when it set a training-compute record (definition above).",
 "epoch_frontier": "`core.models.epoch_frontier`: Epoch AI's own frontier flag (NULL: not in Epoch's table).",
 "curated_frontier": "`core.models.curated_frontier`: the curated bundle's hand judgment (NULL: not curated).",
 "compute_frontier": "Ours: among the 10 largest known training computes at its launch date (definition above); false when compute is unknown.",
 "record_number": "1 for the first record, 2 for the next, ... (NULL when not a record).",
 "previous_record_model_id": "The record it beat.",
 "previous_record_flop": "That record's compute.",
 "improvement_factor": "`training_compute_flop / previous_record_flop`.",
 "held_until": "Launch date of the next record (NULL while it stands).",
 "held_days": "`held_until - launched_on` (NULL while it stands).",
 "held_days_to_date": "Days held, up to the last launch date in the data for the current record.",
 "is_current_record": "True for the record that still stands.",
 "frontier_flop_at_launch": "The highest known training compute of any model launched on or before this one's date.",
 "share_of_frontier": "`training_compute_flop / frontier_flop_at_launch` (1.0 for records; NULL when compute unknown)."},
"select launched_on, model, training_compute_flop, improvement_factor, held_days_to_date from marts.frontier_timeline where is_compute_record and launched_on >= '2020-01-01' order by launched_on")

T["marts.catch_up_lag"] = (
"""For each frontier step by one group, the days until the first model of the rival group reached it, after Epoch AI's compute-lag analyses ("how far behind are open models / Chinese models"). **Yardstick: training compute**, not capability: `marts.capability_gap` measures the same comparisons on a capability index, and the two disagree (*Yardsticks* above).

* **Groups.** `us_vs_china`: 'US' and 'China' by the developers' countries (`core.models.countries`). **HK is folded into China** (the registry keeps HK as its own code, but for this comparison Hong Kong organizations such as SenseTime, CUHK and HKUST are Chinese, as in US export-control treatment since 2020). A model with both US and Chinese developers belongs to neither side. `open_vs_closed`: 'open weights' and 'closed' by `core.models.open_weights`; unknown accessibility is left out. `lab_vs_leader`: the steps are `marts.frontier_timeline`'s compute records (the overall leader), the step group is the record holder's organizations, and the rival is every other lab (any model none of whose organizations made the step).
* **Step.** A model whose training compute exceeds that of every other model of its group launched on or before its date. Models with unknown compute or launch date take no part.
* **Leads.** A step leads (`step_leads`) when no rival model had reached its compute by its date.
* **Lag.** For a leading step, `lag_days` = launch date of the first rival model with compute >= the step's, minus the step's date; always > 0. A step no rival has reached stays **open**: `caught_up` false, `lag_days` NULL (never 0), and `open_days` is how long it has stood so far (up to the last launch date in the data; a lower bound on its lag).
* **Behind.** A step that does not lead has `caught_up` and `lag_days` NULL; `behind_days` = its date minus the date the rival first reached its compute (how far behind the group was when it set its own record; >= 0).""",
{"comparison": "us_vs_china, open_vs_closed or lab_vs_leader.",
 "step_group": "The group that made the step (US, China, open weights, closed, or the record holder's organization names).",
 "rival_group": "The group that has to catch up (`other labs` for lab_vs_leader).",
 "model_id": "The step's model.",
 "model": "Its name.",
 "organization_ids": "Its developers.",
 "countries": "Its developers' countries.",
 "step_on": "Its launch date.",
 "step_year": "Year of `step_on`.",
 "training_compute_flop": "Its training compute, FLOP.",
 "step_leads": "True when no rival model had reached its compute by `step_on`.",
 "caught_up": "For leading steps: true once a rival model reached it, false while open; NULL for steps that did not lead.",
 "caught_up_on": "Launch date of the first rival model to reach it.",
 "caught_up_by_model_id": "That rival model.",
 "caught_up_by_model": "Its name.",
 "caught_up_by_flop": "Its training compute.",
 "lag_days": "`caught_up_on - step_on` (> 0); NULL while open or when the step did not lead.",
 "open_days": "For open steps: days from `step_on` to the last launch date in the data; else NULL.",
 "behind_days": "For steps that did not lead: `step_on` minus the date the rival first reached its compute (>= 0); else NULL."},
"select step_on, model, training_compute_flop, caught_up_by_model, lag_days, open_days from marts.catch_up_lag where comparison = 'us_vs_china' and step_group = 'US' and step_on >= '2019-01-01' order by step_on")

T["marts.catch_up_lag_yearly"] = (
""""Is the gap closing?" in one query, **in training compute** (`marts.capability_gap_yearly` asks it on a capability index): per comparison, step group and year of the step (a dense grid from the group's first step to the last year in the data), from `marts.catch_up_lag`. `median_lag_days` is over the caught-up leading steps only: open steps are not in it, so recent years read low until they close (watch `open_steps`, and `open_days` in `marts.catch_up_lag`). `median_behind_days` measures the other direction: how far behind the group was when it set its own records.""",
{"comparison": "us_vs_china, open_vs_closed or lab_vs_leader.",
 "step_group": "The group that made the steps.",
 "rival_group": "The group catching up.",
 "year": "Year of the steps.",
 "frontier_steps": "Steps that year.",
 "leading_steps": "Of those, steps that led the rival.",
 "caught_up_steps": "Leading steps the rival has caught up.",
 "open_steps": "Leading steps still open.",
 "median_lag_days": "Median `lag_days` of the caught-up steps (NULL when none).",
 "min_lag_days": "Shortest of those lags.",
 "max_lag_days": "Longest of those lags.",
 "trailing_steps": "Steps that did not lead (the rival was already there).",
 "median_behind_days": "Median `behind_days` of those steps."},
"select year, leading_steps, caught_up_steps, open_steps, median_lag_days from marts.catch_up_lag_yearly where comparison = 'us_vs_china' and step_group = 'US' and year >= 2019 order by year")

T["marts.capability_frontier"] = (
"""The capability frontier month by month, **measured on a capability index** (Epoch AI's Capabilities Index, ECI: results on dozens of benchmarks put on one scale), not in training compute: what models can do, not what their training cost (see *Yardsticks* above). For each index, group and month: the best score of any scored model version of the group released on or before the month's last day, and the version holding it.

* **Groups** (`group_kind`): `overall` (every version; `group_name` 'all'), `country` (each of the version's countries as the source gives them, ISO codes, HK its own code; joint work counts for each country), `access` ('open weights' or 'closed' by `open_weights`; unknown access is left out) and `organization` (each of the version's `organization_ids`).
* **Read from `core.capability_scores`**: versions with a score and a release date, grouped by the version's own countries, access and organizations, so a version that links to no `core.models` row still counts. Versions not scored yet, or without a release date, take no part.
* **Months, not days**: a dense grid from the group's first scored release to the month of the index's last scored release, so "the best as of a month" is an equality join and groups line up month by month. `held_since` keeps the exact day; `steps_in_month` counts every rise in the month, including a step overtaken within its own month (which is counted, not shown).
* **Step**: a release day on which the group's best rises strictly above every earlier day's; its holder is that day's highest-scored version (equal scores: the smallest `model_version`).
* Refreshed whole, only when `core.capability_scores` changes (a checksum of the columns it reads).""",
{"index_name": "The capability index (`ECI`).",
 "group_kind": "overall, country, access or organization.",
 "group_name": "'all', an ISO country code, 'open weights' / 'closed', or an organization id.",
 "month": "First day of the month.",
 "best_score": "The group's best index score released on or before the month's last day.",
 "model_version": "The version holding it (Epoch's model version, e.g. `gpt-5-2025-08-07_high`).",
 "model_name": "Its model name as the source gives it.",
 "display_name": "Its display name as the source gives it.",
 "organization_ids": "Its developers (`core.organizations.org_id`).",
 "countries": "Its developers' countries, as the source gives them.",
 "open_weights": "Whether its weights are open (NULL unknown).",
 "held_since": "Its release date: the day the group's best became this score.",
 "steps_in_month": "How many times the group's best rose during the month (0: unchanged).",
 "gain_in_month": "`best_score` minus the previous month's (NULL in the group's first month)."},
"select group_name, month, round(best_score, 1) as best_score, model_name, held_since from marts.capability_frontier where group_kind = 'country' and group_name in ('US', 'CN') and month >= '2025-07-01' and steps_in_month > 0 order by month, group_name")

T["marts.capability_gap"] = (
"""How far behind the follower is, in time, **measured on a capability index** (ECI), not in training compute (`marts.catch_up_lag`): the time between the leader reaching a capability level and the follower reaching the same level.

* **Comparisons** (leader -> follower). `us_vs_china`: 'US' and 'China' by the versions' countries, **HK folded into China**, a version with both US and Chinese developers in neither (as `marts.catch_up_lag`), in both directions. `open_vs_closed`: 'closed' and 'open weights' by `open_weights`, unknown access left out, in both directions. `lab_vs_leader`: the follower is each organization with a scored version; the leader ('leading lab') is every version none of whose developers is the follower, so the leader at any moment is whichever other lab was ahead (`leader_organization_ids` names it).
* **`row_kind` 'step'**: each frontier step of the leader (a release day on which the leader's best rose strictly above every earlier day's; the day's best version), and the first day the follower released a version scoring at least as much (`follower_reached_on`). The step **leads** (`step_leads`) when the follower had not reached it by that day; then `lag_days` = `follower_reached_on - leader_reached_on`, always > 0, and NULL while the follower has not reached it (never 0, never negative): `open_days` says how long it has stood (to the index's last scored release; a lower bound). A step that did not lead has `lag_days` NULL. A follower's first scored version catches up every earlier step at once, so its first lags mostly say when it entered (or when Epoch began to score it).
* **`row_kind` 'month'**: for each month from the follower's first scored release to the month of the index's last, the follower's best as of the month's end (`measured_on`: the month's last day, or the index's last scored release in its last month) and how long before that the leader first reached it: `gap_days` = `measured_on - leader_reached_on` (>= 0; it grows while the follower stands still and drops when it steps up), `gap_months` = `gap_days / 30.4375` (365.25 / 12). NULL with `follower_ahead` when the leader had not reached the follower's best by then. `gap_is_lower_bound`: the follower's best is below the leader's first scored version, so the leader got there on or before `leader_reached_on` (ECI scores start in 2023).
* Every row is a capability level (`level_score`): the leader's step, or the follower's best. Versions without a score or a release date take no part. Refreshed whole, only when `core.capability_scores` changes.""",
{"index_name": "The capability index (`ECI`).",
 "comparison": "us_vs_china, open_vs_closed or lab_vs_leader.",
 "leader": "US, China, closed, open weights, or 'leading lab' (every other lab).",
 "follower": "China, US, open weights, closed, or an organization id.",
 "row_kind": "'step' (a leader's frontier step) or 'month' (the follower's current gap).",
 "month": "Step rows: first day of the step's month; month rows: the month measured.",
 "level_score": "The capability level: the leader's step score, or the follower's best that month.",
 "leader_model_version": "The leader's version that reached the level first (the step; for a month, the first leader step at or above the follower's best). NULL while the follower is ahead.",
 "leader_model_name": "Its model name.",
 "leader_organization_ids": "Its developers: for lab_vs_leader, the lab that was ahead.",
 "leader_reached_on": "Its release date: when the leader reached the level.",
 "follower_model_version": "Step rows: the follower's first version at or above the level (NULL: not reached); month rows: the version holding the follower's best.",
 "follower_model_name": "Its model name.",
 "follower_reached_on": "Its release date: when the follower reached the level.",
 "step_leads": "Step rows: true when the follower had not reached the level by `leader_reached_on`. NULL for month rows.",
 "lag_days": "Step rows: `follower_reached_on - leader_reached_on` for leading steps the follower has reached (> 0); else NULL.",
 "open_days": "Step rows: for steps the follower has not reached, days from the step to the index's last scored release; else NULL.",
 "measured_on": "Month rows: the day measured (the month's last day, or the index's last scored release). NULL for step rows.",
 "gap_days": "Month rows: `measured_on - leader_reached_on` (>= 0); NULL when the follower is ahead.",
 "gap_months": "Month rows: `gap_days / 30.4375`.",
 "follower_ahead": "Month rows: true when the leader had not reached the follower's best by `measured_on`.",
 "gap_is_lower_bound": "Month rows: true when the follower's best is below the leader's first scored version (the true gap may be longer)."},
"select measured_on, round(level_score, 1) as china_best, follower_model_name, leader_model_name, leader_reached_on, gap_days, round(gap_months, 1) as gap_months from marts.capability_gap where comparison = 'us_vs_china' and leader = 'US' and row_kind = 'month' and month >= '2025-09-01' order by month")

T["marts.capability_gap_yearly"] = (
""""Is the gap closing?" in one query, **on a capability index** (ECI), from `marts.capability_gap`: per index, comparison, leader, follower and year (a dense grid from the pair's first row to the year of the index's last scored release). From the step rows: the leader's frontier steps that year, how many led, how many the follower has caught up and how many stay open, and the median lag of the caught-up ones (open steps are not in it, so recent years read low until they close: watch `open_steps`). From the month rows: the mean gap over the year's months and the gap at the year's last month (December, or the last month of data: "now").""",
{"index_name": "The capability index (`ECI`).",
 "comparison": "us_vs_china, open_vs_closed or lab_vs_leader.",
 "leader": "The leader (see `marts.capability_gap`).",
 "follower": "The follower.",
 "year": "Calendar year (of the step, or of the month measured).",
 "leader_steps": "The leader's frontier steps that year.",
 "leading_steps": "Of those, steps the follower had not reached on the day.",
 "caught_up_steps": "Leading steps the follower has reached since.",
 "open_steps": "Leading steps the follower has not reached yet.",
 "median_lag_days": "Median `lag_days` of the caught-up steps (NULL when none).",
 "min_lag_days": "Shortest of those lags.",
 "max_lag_days": "Longest of those lags.",
 "months": "Months measured that year (0 before the follower's first scored version).",
 "months_follower_ahead": "Of those, months when the follower was ahead (no gap).",
 "mean_gap_days": "Mean `gap_days` over the year's months with a gap.",
 "mean_gap_months": "The same in months (30.4375 days).",
 "year_end_month": "The year's last month measured.",
 "year_end_gap_days": "`gap_days` in that month (NULL when the follower was ahead then).",
 "year_end_gap_months": "The same in months.",
 "year_end_follower_ahead": "Whether the follower was ahead in that month."},
"select comparison, year, round(year_end_gap_months, 1) as months_behind_at_year_end, round(mean_gap_months, 1) as mean_months_behind, leading_steps, caught_up_steps, median_lag_days from marts.capability_gap_yearly where (comparison, leader) in (('us_vs_china', 'US'), ('open_vs_closed', 'closed')) order by comparison desc, year")

T["marts.allegations_network"] = (
"""Who accuses whom, of what, and where each allegation stands, quarter by quarter. Only accusations and lawsuits make edges (`core.allegations.nature`): a regulator's inquiry or study accuses no one. One row per quarter, edge (accuser -> accused organization ids, with their countries), nature, kind and status, for every quarter from the allegation's first quarter to the last quarter with an allegation event. An allegation's status in a quarter is the status of its latest step dated on or before the quarter's last day. An allegation with several accusers or accused (co-plaintiffs, co-defendants: "Disney, Universal City Studios v. Midjourney", "Anthropic v. DeepSeek, Moonshot AI, MiniMax") is one edge from each accuser to each accused.""",
{"quarter": "First day of the quarter.",
 "accuser_org_id": "Accuser organization id; one edge per accuser.",
 "accuser": "Accuser as named.",
 "accuser_country": "The accuser's country (registry; NULL when unknown).",
 "accused_org_id": "Accused organization id (NULL: unnamed); one edge per accused organization.",
 "accused": "Accused as named (NULL: unnamed).",
 "accused_country": "The accused's country (registry; NULL when unknown or unnamed).",
 "nature": "accusation or lawsuit (inquiries make no edge).",
 "kind": "Kind of allegation (subject matter).",
 "status": "Status at the quarter's end.",
 "allegations": "Allegations on this edge, of this kind, in this status at the quarter's end.",
 "new_allegations": "Of those, allegations made during the quarter.",
 "status_changes": "Of those, allegations updated during the quarter.",
 "allegation_ids": "The allegations (`core.allegations.allegation_id`)."},
"select quarter, accuser_org_id, accuser_country, accused_org_id, accused_country, nature, status, allegations from marts.allegations_network where accused_org_id = 'deepseek' and quarter >= '2025-01-01' order by quarter, accuser_org_id limit 8")

T["marts.policy_velocity"] = (
"""How fast each jurisdiction moves on AI policy. One row per jurisdiction, month, instrument and stage with at least one policy change (each step of `core.policies.stages`, dated by its valid time; a month- or year-precise date sits on its first day). The policy's jurisdiction and instrument are its latest ones.""",
{"jurisdiction": "Country code, `EU` or `INT`.",
 "month": "First day of the month.",
 "instrument": "The policy's instrument.",
 "stage": "The stage reached by the change.",
 "changes": "Policy steps that month with this instrument and stage.",
 "new_policies": "Of those, steps that are a policy's first.",
 "jurisdiction_changes": "All the jurisdiction's steps that month.",
 "jurisdiction_changes_12m": "All its steps in the 12 months ending with this one.",
 "policy_ids": "The policies (`core.policies.policy_id`)."},
"select jurisdiction, sum(changes) as changes, sum(new_policies) as new_policies from marts.policy_velocity where month >= '2023-01-01' group by jurisdiction order by changes desc, jurisdiction limit 6")

T["marts.concentration"] = (
"""How concentrated model launches are, per calendar quarter, as a Herfindahl-Hirschman index (HHI; the antitrust convention: the sum of squared percentage shares, 0 to 10,000; 10,000 = one holder, 10,000/n = n equal holders). Shares are of the quarter's launches (`core.models` by `launched_on`): a model developed by n organizations gives each 1/n of a launch, and likewise across its n countries (HK its own code). Models with no known organization (country) are left out of that index. A dense grid from the first to the last quarter with a launch; quarters without launches have NULL indices. Small quarters (few launches) give high, noisy indices. Two rows per quarter, by `level`: `lab` counts each organization as itself (Google, DeepMind, Google DeepMind apart); `group` counts each as its group on the launch date (`core.organization_group`, from `warehouse/reference/organization_parents.csv`: Alphabet for all three since 2015-10-02), a model of two labs of one group giving the group a whole launch. The launch and country columns are the same on both rows. A quarter with n launches cannot read below 10,000 / n whoever made them (one launch: 10,000), so `enough_launches` marks the quarters with 10 or more launches with a known organization, from which the floor (1,000) sits below the 1,500 under which the 2010 US merger guidelines call a market unconcentrated; `complete` marks the quarters within the coverage of a whole-table source (`core.source_coverage`). Read the index only where both are true.""",
{"quarter": "First day of the quarter.",
 "level": "`lab` (organizations as themselves) or `group` (organizations as their group on the launch date).",
 "launches": "Models launched in the quarter.",
 "launches_with_organization": "Of those, with a known organization.",
 "organizations": "Distinct developing organizations.",
 "hhi_organizations": "HHI of launch shares across organizations (0-10,000).",
 "effective_organizations": "10,000 / `hhi_organizations`: the number of equal-sized developers giving the same index.",
 "top_organization_id": "Organization with the largest share (ties: the greatest id).",
 "top_organization_share": "Its share (0-1).",
 "launches_with_country": "Models with a known country.",
 "countries": "Distinct developer countries.",
 "hhi_countries": "HHI of launch shares across countries.",
 "effective_countries": "10,000 / `hhi_countries`.",
 "top_country": "Country with the largest share.",
 "top_country_share": "Its share (0-1).",
 "complete": "True when the quarter ends on or before the day launches are complete through (`core.source_coverage.complete_through` of a whole-table source: Epoch AI's). Later quarters hold only hand-picked launches: a drop there is missing data, not a slowdown.",
 "enough_launches": "True with 10 or more launches with a known organization (`marts.concentration_min_launches()`): enough for the index to measure the race rather than the quarter's size."},
"select quarter, level, launches, round(hhi_organizations) as hhi_orgs, round(effective_organizations, 1) as eff_orgs, top_organization_id, round(hhi_countries) as hhi_countries, complete, enough_launches from marts.concentration where quarter between '2023-04-01' and '2023-07-01' or quarter >= '2025-10-01' order by quarter, level desc")

T["marts.releases_yearly_by_group"] = (
"""Model launches per calendar year and group of organizations: the group-level sibling of the per-organization marts (`marts.releases_monthly`, `marts.release_cadence`). Each developer counts as its group on the launch date (`core.organization_group`, from `warehouse/reference/organization_parents.csv`): Google, Google Brain, DeepMind and Google DeepMind are Alphabet from 2015-10-02. A model counts once for each group among its developers (a model of two Alphabet labs is one Alphabet launch); an organization with no parent is its own group. Only years with a launch of the group have a row.""",
{"year": "Calendar year of the launch.",
 "group_id": "The group (`core.organizations.org_id`; the organization itself when it has no parent).",
 "group_name": "Its name.",
 "launches": "Models launched that year with a developer in the group.",
 "organization_ids": "The group's organizations that developed them."},
"select year, group_id, launches, organization_ids from marts.releases_yearly_by_group where year = 2023 order by launches desc, group_id limit 5")

def md_table(rel: duckdb.DuckDBPyRelation) -> str:
    cols = rel.columns
    out = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for row in rel.fetchall():
        cells = []
        for v in row:
            if v is None:
                s = "NULL"
            elif isinstance(v, float):
                s = f"{v:.4g}" if (abs(v) >= 1e6 or (v != 0 and abs(v) < 1e-3)) else (f"{v:g}")
            else:
                s = str(v)
            cells.append(s.replace("|", "\\|"))
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)

def render(con: duckdb.DuckDBPyConnection) -> str:
    parts = [HEAD]
    for group, projections in (("Core tables (`core.*`)", CORE_TABLES), ("Marts (`marts.*`)", MART_TABLES)):
        parts.append(f"\n## {group}\n")
        for p in sorted(projections, key=lambda p: list(T).index(p.table)):
            definition, meanings, example = T[p.table]
            cols = con.execute(f"describe {p.table}").fetchall()
            undocumented = {c[0] for c in cols} ^ set(meanings)
            if undocumented:
                raise SystemExit(f"{p.table}: columns without a meaning here, or meanings of no column: {undocumented}")
            parts.append(f"\n### {p.table}\n")
            parts.append(f"Defined in `warehouse/sql/{p.sql_file.parent.name}/{p.sql_file.name}` as `{p.macro}(as_of)`.\n")
            parts.append(definition + "\n")
            parts.append("| column | type | meaning |\n|---|---|---|")
            for name, typ, *_ in cols:
                parts.append(f"| `{name}` | `{typ}` | {meanings[name]} |")
            parts.append("\nExample:\n\n```sql\n" + example + "\n```\n")
            parts.append("Output on the bundled build:\n\n" + md_table(con.sql(example)) + "\n")
    return "\n".join(parts)


if __name__ == "__main__":
    snapshot = sys.argv[1] if len(sys.argv) > 1 else str(WarehouseHome.resolve().snapshot_db)
    with duckdb.connect(snapshot, read_only=True) as connection:
        DICTIONARY.write_text(render(connection))
    print(f"wrote {DICTIONARY}")
