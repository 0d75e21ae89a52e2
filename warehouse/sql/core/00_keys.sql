-- Normalized keys shared by every projection.
-- name_key: how names are matched (case, accents, punctuation and spaces ignored), so
-- "Zhipu.AI", "zhipu ai" and "Zhipu AI" are one key.
create or replace macro core.name_key(name) as
    regexp_replace(lower(strip_accents(trim(name))), '[^\pL\pN]+', '', 'g');

-- model_key: the one normalization of a model name (core.models.model_id is built from it;
-- other tables that link to models call it too). It keeps what tells models apart:
-- "+" becomes the word "plus" ("PointNet++" -> pointnet-plus-plus, not PointNet), version
-- numbers, sizes and suffixes stay ("Llama 3.1 405B" -> llama-3-1-405b, "GPT-4o mini");
-- it ignores case, accents, punctuation and spacing ("Llama 3-70B" = "Llama 3 70B",
-- "DALL·E 2" = "DALL-E 2") and a ".0" minor version ("Sora 2.0" = "Sora 2": a version
-- number written in full is the same version). A name with no ASCII letter or digit keys
-- on its hash, as schemas.events.slugify does.
create or replace macro core.model_key(name) as
    coalesce(nullif(left(trim(regexp_replace(regexp_replace(replace(lower(strip_accents(trim(name))), '+', ' plus '),
                                                            '([0-9])\.0($|[^0-9a-z.])', '\1\2', 'g'),
                                             '[^a-z0-9]+', '-', 'g'), '-'), 120), ''),
             'u' || left(sha256(name), 12));

-- slug: the readable id given to an organization the registry does not know yet.
create or replace macro core.slug(name) as
    coalesce(nullif(trim(regexp_replace(lower(strip_accents(trim(name))), '[^a-z0-9]+', '-', 'g'), '-'), ''),
             'u' || left(sha256(name), 12));

-- The last day a date of the given precision can stand for ("2025-09", month -> 2025-09-30).
create or replace macro core.period_end(day, precision) as
    case precision when 'year' then (date_trunc('year', day) + interval 1 year - interval 1 day)::date
                   when 'month' then last_day(day)
                   else day end;

-- Values read from payloads, defensively: the append path validates every event and every
-- amendment against its target, but a log written before those checks (or by another
-- tool) may hold a correction that sets a number to "lots" or a date to year 1. Such a
-- value reads as NULL (unknown) instead of stopping every refresh with a cast error.
-- A physical quantity (FLOP, parameters): a finite, non-negative number, else NULL.
create or replace macro core.quantity(text) as
    case when isfinite(try_cast(text as double)) and try_cast(text as double) >= 0 then try_cast(text as double) end;
-- A JSON boolean, else NULL.
create or replace macro core.flag(text) as case when text in ('true', 'false') then text::boolean end;
-- A valid time in the documented range (schemas.events EARLIEST_DATE..LATEST_DATE), else NULL.
create or replace macro core.valid_day(text) as
    case when try_cast(text as date) between date '1900-01-01' and date '2100-12-31' then try_cast(text as date) end;
-- A precision of the three there are, else NULL.
create or replace macro core.valid_precision(text) as case when text in ('day', 'month', 'year') then text end;

create or replace macro core.precision_rank(precision) as
    case precision when 'day' then 0 when 'month' then 1 else 2 end;

-- Every projection is written once, as `<table>_of(as_of, src)`, and reads its inputs
-- through `*_in(as_of, src)` macros; `src` picks where the inputs come from:
--   'log'   recomputed from events.log as recorded up to `as_of` (time travel: the
--           `<table>_as_of(as_of)` macros are `<table>_of(as_of, 'log')`);
--   'state' the materialized intermediate tables and core tables of the "now" build
--           (a full refresh: no log rescans, each input is computed once);
--   'dirty' the same, restricted to the keys in projection_state.dirty (an incremental
--           refresh recomputes only what new events touched).
-- Each macro that takes `src` is rendered once per mode before DuckDB binds it
-- (warehouse/projections/rendering.py): `<name>__<mode>`, `src` the mode's literal, each reader
-- `<table>_in(as_of, src)` what that mode reads (the table's `_of__log`, or its stored
-- side). So a refresh binds no log-side tree, and time travel no materialized table.
create schema if not exists projection_state;
-- Keys an incremental refresh recomputes: kind 'event' (event_id), 'model' (model_id),
-- 'org' (org_id), 'subject' (allegation, policy and product subjects).
create table if not exists projection_state.dirty (kind varchar not null, key varchar not null);

create or replace macro core.dirty_keys(kind_of_key) as table
select distinct key from projection_state.dirty where kind = kind_of_key;

-- Inputs that are not restricted by key in a 'dirty' refresh (a model's developers are
-- looked up among all mentions) read every materialized row: a reader given
-- `core.all_rows_of(src)` as its mode reads 'state' for 'dirty' (warehouse/projections/rendering.py).

-- allegation.made: the parties on one side ('accusers' or 'accused'), one name per item.
-- The log holds v2 rows (lists), and v1 rows appended before v2 existed (one string,
-- `accuser` / `accused`, never rewritten: the log is append-only); both are read here.
create or replace macro core.allegation_parties(payload, side) as
    case when json_type(payload, '$.' || side) = 'ARRAY' then json_extract_string(payload, '$.' || side || '[*]')
         else list_filter([payload ->> (case side when 'accusers' then 'accuser' else side end)],
                          lambda name: name is not null and trim(name) <> '') end;

-- allegation.made's nature; a v1 row has none: read from its venue's first word, as
-- schemas/upcasters.py nature_of_v1_venue does (tests/test_projections.py holds the two together).
create or replace macro core.allegation_nature(payload) as
    coalesce(payload ->> 'nature',
             case when regexp_matches(lower(trim(coalesce(payload ->> 'venue', ''))), '^(lawsuit|indictment|criminal|court|complaint)') then 'lawsuit'
                  when regexp_matches(lower(trim(coalesce(payload ->> 'venue', ''))), '^(regulator|investigation|inquiry)') then 'inquiry'
                  else 'accusation' end);
