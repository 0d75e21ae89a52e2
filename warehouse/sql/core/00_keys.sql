-- Normalized keys shared by every projection.
-- name_key: how names are matched (case, accents, punctuation and spaces ignored), so
-- "Zhipu.AI", "zhipu ai" and "Zhipu AI" are one key.
create or replace macro core.name_key(name) as
    regexp_replace(lower(strip_accents(trim(name))), '[^\pL\pN]+', '', 'g');

-- slug: the readable id given to an organization the registry does not know yet.
create or replace macro core.slug(name) as
    coalesce(nullif(trim(regexp_replace(lower(strip_accents(trim(name))), '[^a-z0-9]+', '-', 'g'), '-'), ''),
             'u' || left(sha256(name), 12));

-- The last day a date of the given precision can stand for ("2025-09", month -> 2025-09-30).
create or replace macro core.period_end(day, precision) as
    case precision when 'year' then (date_trunc('year', day) + interval 1 year - interval 1 day)::date
                   when 'month' then last_day(day)
                   else day end;

create or replace macro core.precision_rank(precision) as
    case precision when 'day' then 0 when 'month' then 1 else 2 end;
