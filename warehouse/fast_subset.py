"""The SQL that validates JSON Lines in bulk: the "fast subset" of records.

`schemas.events.parse_record` is the definition of a valid record and of the event
it becomes. This module restates it in DuckDB SQL for the records where that is
easy to get exactly right, so a large file does not pay pydantic's per-record cost:

* the line is printable ASCII without a backslash, `{` ... `}`: no escapes, no
  Unicode (so `strip`, `upper`, `slugify` and JSON string output are trivial), and
  no string can hold a quote, so a JSON string is its text between two quotes;
* every value has the type the model wants without coercion (no int for a float,
  no "yes" for a bool), strings need no stripping, floats print the same in
  Python (`repr`) as the text this SQL builds (checked by a round trip), and so on.

A line the SQL accepts yields exactly the `NewEvent` fields `parse_record` would
(event_id, subject, canonical payload text, envelope); every other line - bad JSON,
an invalid record, or only a doubt - is left to `parse_record`, which gives the
event or the rejection with its message. tests/test_bulk_ingest.py holds the two
paths to the same output.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from schemas.events import (
    AMENDMENT_TYPES,
    EARLIEST_DATE,
    EARLIEST_RETRIEVED_AT,
    LATEST_DATE,
    LATEST_RETRIEVED_AT,
    SUBJECT_PREFIXES,
)
from schemas.payloads import (
    AllegationKind,
    AllegationNature,
    AllegationStatus,
    CapabilityConfidence,
    ModelAccess,
    PolicyInstrument,
    PolicyStage,
    ProductKind,
)
from schemas.upcasters import CURRENT_VERSIONS

Kind = Literal[
    "short", "long", "label", "enum", "country", "bool", "quantity", "number", "event_id", "date", "changes",
    "short_list", "label_list", "country_list",
]
Presence = Literal["required", "optional", "default"]


class PayloadField(BaseModel):
    """One payload field as the pydantic model declares it (see schemas/payloads.py)."""

    model_config = ConfigDict(frozen=True)

    name: str
    kind: Kind
    presence: Presence
    # The allowed values of an enum; the default's JSON text of a "default" field.
    values: tuple[str, ...] = ()
    default_json: str | None = None


# (`values` is a Literal type or a tuple of its values: Any, as typing has no type for "a Literal type".)
def _f(name: str, kind: Kind, presence: Presence, values: Any = (), default_json: str | None = None) -> PayloadField:
    allowed = tuple(getattr(values, "__args__", values))
    return PayloadField(name=name, kind=kind, presence=presence, values=allowed, default_json=default_json)


_PRECISIONS = ("day", "month", "year")

PAYLOAD_FIELDS: dict[str, tuple[PayloadField, ...]] = {
    "model.launched": (
        _f("model", "short", "required"),
        _f("organizations", "short_list", "default", default_json="[]"),
        _f("countries", "country_list", "default", default_json="[]"),
        _f("open_weights", "bool", "optional"),
        _f("access", "enum", "optional", ModelAccess),
        _f("access_detail", "short", "optional"),
        _f("parameters", "quantity", "optional"),
        _f("training_compute_flop", "quantity", "optional"),
        _f("training_dataset_size", "quantity", "optional"),
        _f("domains", "label_list", "default", default_json="[]"),
        _f("tasks", "label_list", "default", default_json="[]"),
        _f("frontier", "bool", "optional"),
        _f("notability", "label_list", "default", default_json="[]"),
        _f("base_model", "short", "optional"),
        _f("hardware", "short", "optional"),
        _f("notes", "long", "optional"),
    ),
    "capability.scored": (
        _f("index", "short", "required"),
        _f("model_version", "short", "required"),
        _f("model", "short", "optional"),
        _f("display_name", "short", "optional"),
        _f("score", "number", "optional"),
        _f("release_date", "date", "optional"),
        _f("organizations", "short_list", "default", default_json="[]"),
        _f("countries", "country_list", "default", default_json="[]"),
        _f("access", "enum", "optional", ModelAccess),
        _f("access_detail", "short", "optional"),
        _f("open_weights", "bool", "optional"),
        _f("training_compute_flop", "quantity", "optional"),
        _f("confidence", "enum", "optional", CapabilityConfidence),
        _f("description", "long", "optional"),
    ),
    "product.released": (
        _f("organization", "short", "required"),
        _f("product", "short", "required"),
        _f("kind", "enum", "required", ProductKind),
        _f("description", "long", "optional"),
        _f("models", "short_list", "default", default_json="[]"),
    ),
    "allegation.made": (  # v2 (a v1 line is left to parse_record and its upcaster)
        _f("nature", "enum", "required", AllegationNature),
        _f("accusers", "short_list", "required"),  # (required: at least one, see _field_sql)
        _f("accused", "short_list", "default", default_json="[]"),
        _f("kind", "enum", "required", AllegationKind),
        _f("venue", "short", "optional"),
        _f("status", "enum", "default", AllegationStatus, default_json='"alleged"'),
        _f("summary", "long", "required"),
    ),
    "allegation.updated": (
        _f("status", "enum", "required", AllegationStatus),
        _f("summary", "long", "required"),
        _f("venue", "short", "optional"),
    ),
    "policy.changed": (
        _f("jurisdiction", "country", "required"),
        _f("instrument", "enum", "required", PolicyInstrument),
        _f("title", "short", "required"),
        _f("stage", "enum", "required", PolicyStage),
        _f("topics", "label_list", "default", default_json="[]"),
        _f("summary", "long", "optional"),
    ),
    "event.corrected": (
        _f("target_event_id", "event_id", "required"),
        _f("changes", "changes", "default", default_json="{}"),
        _f("occurred_at", "date", "optional"),
        _f("occurred_precision", "enum", "optional", _PRECISIONS),
        _f("reason", "long", "required"),
    ),
    "event.retracted": (
        _f("target_event_id", "event_id", "required"),
        _f("reason", "long", "required"),
    ),
}
# model.launched v1 fields the upcaster (schemas/upcasters.py) turns into v2 ones.
V1_LAUNCH_FIELDS = ("organization", "country", "open_source")
ENVELOPE_KEYS = (
    "event_type", "schema_version", "occurred_at", "occurred_precision", "subject",
    "source", "source_url", "source_ref", "retrieved_at", "payload",
)
TEXT_LENGTHS = {"short": 300, "long": 5000, "label": 120}
SOURCE_PATTERN = r"[a-z0-9][a-z0-9._:/-]{0,79}"
# A country code (after strip and upper).
COUNTRY_PATTERN = r"[A-Z]{2,3}(-[A-Z0-9]{1,3})?"
# ASCII without a backslash: the only lines the SQL looks at (with no escapes and no
# Unicode, a JSON string is its text between two quotes and strip/upper/slugify are
# plain). Control characters need no check: JSON (DuckDB's and Python's) refuses them
# raw in strings, and outside strings they are whitespace or errors in both readers.
ASCII_WITHOUT_BACKSLASH = r"[\x01-\x5b\x5d-\x7f]*"


def _q(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


# ----------------------------------------------------------------- macros (per connection)

# DuckDB prints a double as Python's repr does (shortest round-trip digits, the same
# switch to exponent form); tests/test_bulk_ingest.py holds the two to it. To stay clear
# of the only case where two printers could pick different digits, a value needs more
# than 15 significant digits only in Python: 15 or fewer, no two decimals share a double
# (DBL_DIG), so the shortest digits are unique.
MACROS_SQL = r"""
create or replace temp macro fs_float_repr(d) as
    case when isfinite(d) and d <> 0 and length(d::varchar) <= 16 and d::varchar::double = d then d::varchar end;
-- A JSON number leaf that Python reads as a float (it has a fraction or an exponent).
create or replace temp macro fs_float_leaf(leaf) as
    case when (leaf[1] = '-' or leaf[1] between '0' and '9') and (contains(leaf, '.') or contains(lower(leaf), 'e'))
         then fs_float_repr(try_cast(leaf as double)) end;
create or replace temp macro fs_unquote(leaf) as substr(leaf, 2, length(leaf) - 2);
-- A JSON string leaf's text as pydantic's strip_whitespace leaves it (printable ASCII:
-- the only whitespace is ' '); NULL when the leaf is not a string.
create or replace temp macro fs_stripped(leaf) as
    case when starts_with(leaf, '"') then trim(substr(leaf, 2, strlen(leaf) - 2)) end;
-- Not empty once stripped, and not longer than max_len even before.
-- The same for a leaf already checked to be a string (it holds no inner quote): cheaper.
create or replace temp macro fs_text(leaf) as trim(leaf, '" ');
create or replace temp macro fs_text_ok(leaf, max_len) as
    starts_with(leaf, '"') and strlen(leaf) <= max_len + 2 and trim(leaf, '" ') <> '';
-- A JSON array of strings none of which is empty or needs stripping, none longer than
-- max_len (checked on the whole array; a longer array is left to pydantic).
create or replace temp macro fs_text_list_ok(leaf, max_len) as
    leaf = '[]'
    or (starts_with(leaf, '["') and ends_with(leaf, '"]') and length(leaf) <= max_len + 4
        and not contains(replace(substr(leaf, 3, length(leaf) - 4), '","', ''), '"')
        and not contains(leaf, '""') and not contains(leaf, '" ') and not contains(leaf, ' "'));
create or replace temp macro fs_slug(text) as
    coalesce(nullif(left(trim(regexp_replace(lower(text), '[^a-z0-9]+', '-', 'g'), '-'), 120), ''),
             'u' || left(sha256(text), 12));
-- A correction's `changes` (dict[str, Any]) as '"key":value' entries, when its values are all
-- strings, bools, ints or floats and its keys plain enough ('#'..'~': sorting the entries
-- then sorts the keys); NULL otherwise.
create or replace temp macro fs_change_entries(leaf) as
    case when '{' || array_to_string(regexp_extract_all(leaf, '"[#-~]+":("[^"]*"|true|false|-?[0-9][-+.eE0-9]*)'), ',') || '}' = leaf
         then regexp_extract_all(leaf, '"[#-~]+":("[^"]*"|true|false|-?[0-9][-+.eE0-9]*)') end;
create or replace temp macro fs_change_value(v) as
    case when v[1] = '"' or v in ('true', 'false') or regexp_full_match(v, '0|-?[1-9][0-9]{0,17}') then v
         else fs_float_leaf(v) end;
create or replace temp macro fs_change_entry(e) as
    left(e, strpos(e, '":') + 1) || fs_change_value(substr(e, strpos(e, '":') + 2));
"""


# ----------------------------------------------------------------- per-field SQL


def _leaf(name: str) -> str:
    return f'p_{name}'


def _count_present(leaves: list[str]) -> str:
    """How many of these leaves are there (not absent and not JSON null).

    Equal to the number of keys of their object, it proves the object has no other key,
    no key twice and no null value, which spares a check per key (and leaves the rare
    explicit null to pydantic)."""
    return "(" + " + ".join(f"({leaf} is not null)::integer" for leaf in leaves) + ")"


def _value_sql(field: PayloadField, leaf: str) -> tuple[str, str]:
    """(condition that a non-null leaf is valid, its canonical JSON text) for one field."""
    kind = field.kind
    if kind in TEXT_LENGTHS:
        return f"fs_text_ok({leaf}, {TEXT_LENGTHS[kind]})", f"""'"' || fs_text({leaf}) || '"'"""
    if kind == "enum":
        return f"{leaf} in ({', '.join(_q(chr(34) + v + chr(34)) for v in field.values)})", leaf
    if kind == "country":
        return (
            f"regexp_full_match(upper(fs_stripped({leaf})), '{COUNTRY_PATTERN}')",
            f"""'"' || upper(fs_text({leaf})) || '"'""",
        )
    if kind == "bool":
        return f"{leaf} in ('true', 'false')", leaf
    if kind == "quantity":
        # ge=0 le=1e40; zero is left to pydantic (-0.0 and 0.0 print differently).
        return f"{leaf}_repr is not null and {leaf}_repr::double between 0 and 1e40", f"{leaf}_repr"
    if kind == "number":
        # Any finite float (a score); zero is left to pydantic, as for a quantity.
        return f"{leaf}_repr is not null", f"{leaf}_repr"
    if kind == "event_id":
        return f"""regexp_full_match({leaf}, '"[0-9a-f]{{32}}"')""", leaf
    if kind == "date":
        # A year before 1000 is left to pydantic (DuckDB reads year 0, Python does not).
        return (
            f"""regexp_full_match({leaf}, '"[1-9][0-9]{{3}}-[0-9]{{2}}-[0-9]{{2}}"') """
            f"and try_cast(fs_unquote({leaf}) as date) is not null",
            leaf,
        )
    if kind == "changes":
        entries = f"fs_change_entries({leaf})"
        canonical = f"list_transform(list_sort({entries}), lambda e: fs_change_entry(e))"
        return (
            f"len({entries}) = len(ckeys) and len(ckeys) = len(list_distinct(ckeys)) "
            f"and list_bool_and(list_transform({canonical}, lambda x: x is not null) || [true])",
            f"'{{' || array_to_string({canonical}, ',') || '}}'",
        )
    element = kind.removesuffix("_list")
    if element in TEXT_LENGTHS:
        return f"fs_text_list_ok({leaf}, {TEXT_LENGTHS[element]})", leaf
    # countries: each one stripped of nothing, upper-cased, a code
    codes = f'"{COUNTRY_PATTERN}"'
    return f"({leaf} = '[]' or regexp_full_match(upper({leaf}), '\\[{codes}(,{codes})*\\]'))", f"upper({leaf})"


def _field_sql(field: PayloadField, leaf: str) -> tuple[str, str]:
    """(field is valid, `"name":value` or NULL when the dump leaves it out) for one field."""
    valid, canonical = _value_sql(field, leaf)
    key = _q(f'"{field.name}":')
    if field.presence == "required":
        # A required list is one declared with min_length=1 (AllegationMade.accusers).
        non_empty = f" and {leaf} <> '[]'" if field.kind.endswith("_list") else ""
        return f"({leaf} is not null and {valid}{non_empty})", f"{key} || {canonical}"
    if field.presence == "optional":
        return f"({leaf} is null or {valid})", f"case when {leaf} is not null then {key} || {canonical} end"
    # A default: absent gives it (an explicit null never gets here, see _count_present).
    return (
        f"({leaf} is null or {valid})",
        f"{key} || case when {leaf} is null then {_q(field.default_json or '')} else {canonical} end",
    )


def _v1_launch_overrides() -> dict[str, tuple[str, str]]:
    """model.launched v1: `organization`/`country` become one-item lists (or empty ones when
    falsy), `open_source` becomes `open_weights`; the v2 keys they replace are overwritten."""
    org, country, open_source = (_leaf(n) for n in V1_LAUNCH_FIELDS)
    org_ok = f"({org} is null or {org} = '\"\"' or fs_text_ok({org}, 300))"
    country_ok = f"({country} is null or {country} = '\"\"' or regexp_full_match(upper(fs_stripped({country})), '{COUNTRY_PATTERN}'))"
    return {
        "organizations": (
            org_ok,
            f"""'"organizations":' || case when coalesce({org}, '""') = '""' then '[]'
                                          else '["' || fs_text({org}) || '"]' end""",
        ),
        "countries": (
            country_ok,
            f"""'"countries":' || case when coalesce({country}, '""') = '""' then '[]'
                                      else '["' || upper(fs_text({country})) || '"]' end""",
        ),
        "open_weights": (
            f"({open_source} is null or {open_source} in ('true', 'false'))",
            f"""case when {open_source} is not null then '"open_weights":' || {open_source} end""",
        ),
    }


def _payload_sql(event_type: str, *, v1: bool = False) -> tuple[str, str]:
    """(payload is valid, canonical payload JSON) of one event type."""
    fields = {f.name: f for f in PAYLOAD_FIELDS[event_type]}
    allowed = list(fields) + (list(V1_LAUNCH_FIELDS) if v1 else [])
    checks = [f"len(pkeys) = {_count_present([_leaf(n) for n in allowed])}"]
    parts = []
    overrides = _v1_launch_overrides() if v1 else {}
    for name in sorted(fields):
        if name in overrides and name != "open_weights":
            valid, part = overrides[name]
        elif name == "open_weights" and v1:
            # open_source, when present (even null), replaces open_weights.
            src_valid, src_part = overrides[name]
            own_valid, own_part = _field_sql(fields[name], _leaf(name))
            present = f"{_leaf('open_source')} is not null"
            valid = f"(case when {present} then {src_valid} else {own_valid} end)"
            part = f"(case when {present} then {src_part} else {own_part} end)"
        else:
            valid, part = _field_sql(fields[name], _leaf(name))
        checks.append(valid)
        parts.append(part)
    return " and ".join(checks), "'{' || concat_ws(',', " + ", ".join(parts) + ") || '}'"


def _derived_subject_sql(event_type: str) -> str:
    p = _leaf
    match event_type:
        case "model.launched":
            return f"'model:' || fs_slug(fs_text({p('model')}))"
        case "capability.scored":
            return f"'capability:' || fs_slug(fs_text({p('index')})) || '-' || fs_slug(fs_text({p('model_version')}))"
        case "product.released":
            return f"'product:' || fs_slug(fs_text({p('organization')})) || '-' || fs_slug(fs_text({p('product')}))"
        case "allegation.made":
            # slugify(" ".join(names)): the slug of the list's JSON text is the same words
            # (a list whose names hold no letter or digit is left to parse_record: see
            # _SLUGGABLE_LISTS, as slugify would hash the joined names instead)
            accused = f"case when coalesce({p('accused')}, '[]') = '[]' then 'unnamed' else fs_slug({p('accused')}) end"
            return (
                f"'allegation:' || fs_slug({p('accusers')}) || '-' || {accused} || '-' "
                f"|| fs_unquote({p('kind')}) || '-' || strftime(occurred_on, '%Y%m')"
            )
        case "policy.changed":
            return f"'policy:' || fs_slug(upper(fs_text({p('jurisdiction')}))) || '-' || fs_slug(fs_text({p('title')}))"
        case "event.corrected" | "event.retracted":
            return f"'event:' || fs_unquote({p('target_event_id')})"
    return "NULL"  # allegation.updated: the record must name it


def _subject_fits_sql() -> str:
    """schemas.events.subject_problem in SQL: an explicit subject carries its type's prefix;
    an amendment's is exactly `event:<target_event_id>`."""
    branches = {
        t: f"e_subject = '\"event:' || substr({_leaf('target_event_id')}, 2)"
        if t in AMENDMENT_TYPES
        else f"starts_with(e_subject, {_q(chr(34) + prefix + ':')})"
        for t, prefix in SUBJECT_PREFIXES.items()
    }
    return f"(e_subject is null or {_case(branches, default='true')})"
# The derived allegation subject slugs the names joined (schemas.events.derive_subject):
# the SQL reproduces that when the names have a letter or digit between them all.
_SLUGGABLE_LISTS = (
    f"regexp_matches({_leaf('accusers')}, '[A-Za-z0-9]') "
    f"and (coalesce({_leaf('accused')}, '[]') = '[]' or regexp_matches({_leaf('accused')}, '[A-Za-z0-9]'))"
)


def _structure() -> str:
    """json_transform's structure: every field as its JSON text (types are checked here)."""
    payload = ", ".join(f'"{n}": "JSON"' for n in _payload_names())
    top = ", ".join(f'"{k}": "JSON"' for k in ENVELOPE_KEYS if k != "payload")
    return "{" + top + ', "payload": {' + payload + "}}"


def _flat_columns() -> str:
    """Every leaf of the structure as a VARCHAR column: e_<key> (envelope), p_<key> (payload)."""
    top = [f'j."{k}"::varchar as e_{k}' for k in ENVELOPE_KEYS if k != "payload"]
    payload = [f'j.payload."{n}"::varchar as p_{n}' for n in _payload_names()]
    return ", ".join(top + payload)


def _float_columns() -> str:
    """Each float field's Python repr, computed once (its check and its output both use it)."""
    names = sorted({f.name for fields in PAYLOAD_FIELDS.values() for f in fields if f.kind in ("quantity", "number")})
    return ", ".join(f"fs_float_leaf(p_{n}) as p_{n}_repr" for n in names)


def _payload_names() -> list[str]:
    return sorted({f.name for fields in PAYLOAD_FIELDS.values() for f in fields} | set(V1_LAUNCH_FIELDS))


def _case(branches: dict[str, str], subject: str = "event_type", default: str = "NULL") -> str:
    whens = " ".join(f"when {_q(k)} then {v}" for k, v in branches.items())
    return f"case {subject} {whens} else {default} end"


def build_fast_subset_sql(default_source: str | None) -> str:
    """A query over `lines(seq, line, ascii_block)` giving one staging row per line: the
    event's columns (seq, event_id, ... payload) for a line the fast subset covers, and
    for every other line only `raw_line`, its text, for parse_record. (`ascii_block`:
    the reader found the line's whole block ASCII without a backslash, so no line of it
    needs the check.)

    One statement for the whole file, over a stream of Arrow batches: binding this query
    costs tens of milliseconds, too much to pay per block.
    """
    source_fallback = (
        _q(default_source)
        if default_source is not None and re.fullmatch(SOURCE_PATTERN, default_source)
        else "NULL"
    )
    valid_by_type: dict[str, str] = {}
    payload_by_type: dict[str, str] = {}
    for event_type in PAYLOAD_FIELDS:
        valid, canonical = _payload_sql(event_type)
        if event_type == "model.launched":  # and the v1 -> v2 upcaster, in SQL
            v1_valid, v1_canonical = _payload_sql(event_type, v1=True)
            valid = f"case version when 2 then {valid} when 1 then {v1_valid} end"
            canonical = f"case version when 2 then {canonical} when 1 then {v1_canonical} end"
        else:
            valid = f"version = {CURRENT_VERSIONS[event_type]} and {valid}"
        if event_type == "allegation.made":
            valid += f" and {_SLUGGABLE_LISTS}"
        valid_by_type[event_type] = valid
        payload_by_type[event_type] = canonical
    derived = {t: _derived_subject_sql(t) for t in PAYLOAD_FIELDS}
    current = _case({t: str(v) for t, v in CURRENT_VERSIONS.items()}, subject="fs_unquote(e_event_type)")
    return f"""
with parsed as (
    select seq, line, {_flat_columns()}, k
    from (select seq, line,
                 case when candidate then json_transform(line, '{_structure()}') end as j,
                 case when candidate then json_keys(line, ['$', '$.payload', '$.payload.changes']) end as k
          from (select seq, line,
                       line like '{{%' and (ascii_block or regexp_full_match(line, '{ASCII_WITHOUT_BACKSLASH}'))
                       and json_valid(line) as candidate
                from lines where line is not null))
),
envelope as (
    select *, {_float_columns()}, k[1] as top_keys, coalesce(k[2], []) as pkeys, coalesce(k[3], []) as ckeys,
           fs_unquote(e_event_type) as event_type,
           -- upcast(): an absent version is the current one; a present one must be an int
           -- (1 or 2 are the only versions there are)
           case when e_schema_version is null then {current}
                when e_schema_version in ('1', '2') then e_schema_version::integer
           end as version,
           case when regexp_full_match(e_occurred_at, '"[0-9]{{4}}(-[0-9]{{2}}(-[0-9]{{2}})?)?"')
                then case length(e_occurred_at) when 12 then 'day' when 9 then 'month' else 'year' end
           end as form,
           case when e_occurred_precision is null then form
                when e_occurred_precision in ('"day"', '"month"', '"year"') then fs_unquote(e_occurred_precision)
           end as precision,
           try_cast(fs_unquote(e_occurred_at) || case form when 'month' then '-01' when 'year' then '-01-01' else '' end
                    as date) as occurred_day,
           case when e_source is null then {source_fallback}
                when regexp_full_match(fs_stripped(e_source), '{SOURCE_PATTERN}') then fs_stripped(e_source)
           end as source_value
    from parsed
),
checked as (
    select *,
           case precision when 'year' then date_trunc('year', occurred_day)::date
                          when 'month' then date_trunc('month', occurred_day)::date
                          else occurred_day end as occurred_on,
           coalesce(k is not null
      and len(top_keys) = {_count_present([f"e_{k}" for k in ENVELOPE_KEYS if k != "payload"])} + (k[2] is not null)::integer
      and form is not null and precision is not null
      and occurred_day between date '{EARLIEST_DATE}' and date '{LATEST_DATE}'
      and source_value is not null
      and (e_source_url is null
           or (regexp_full_match(fs_stripped(e_source_url), 'https?://[!-~]+') and length(e_source_url) <= 2002))
      and (e_source_ref is null or fs_text_ok(e_source_ref, 500))
      and (e_retrieved_at is null
           or (regexp_full_match(e_retrieved_at,
                  '"[1-9][0-9]{{3}}-[0-9]{{2}}-[0-9]{{2}}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{{1,6}})?(Z|[-+]([01][0-9]|2[0-3]):[0-5][0-9])?"')
               and try_cast(fs_unquote(e_retrieved_at) as timestamptz)
                   between timestamptz '{EARLIEST_RETRIEVED_AT.isoformat()}' and timestamptz '{LATEST_RETRIEVED_AT.isoformat()}'))
      and (e_subject is null or regexp_full_match(e_subject, '"[a-z]+:[!-~]{{1,200}}"'))
      and (event_type <> 'allegation.updated' or starts_with(e_subject, '"allegation:'))
      and {_subject_fits_sql()}, false) as envelope_ok
    from envelope
),
judged as (
    select *, envelope_ok and coalesce(case when envelope_ok then {_case(valid_by_type)} end, false) as accepted
    from checked
),
events as (
    select seq, accepted, case when not accepted then line end as raw_line,
           -- an amendment's line, kept for its quarantine row should its target refuse it
           case when accepted and event_type in ({', '.join(_q(t) for t in AMENDMENT_TYPES)}) then line end as amendment_raw,
           case when accepted then event_type end as event_type,
           case when accepted then coalesce(fs_unquote(e_subject), {_case(derived)}) end as subject,
           occurred_on, precision, source_value, e_source_url, e_source_ref, e_retrieved_at,
           case when accepted then {_case(payload_by_type)} end as payload
    from judged
)
select seq, raw_line, amendment_raw, left(sha256(case when source_ref is not null
                      then '["' || source || '","' || event_type || '","' || source_ref || '"]'
                      else '["' || source || '","' || event_type || '","' || subject || '","'
                           || strftime(occurred_at, '%Y-%m-%d') || '","' || occurred_precision || '",' || payload || ']'
                 end), 32) as event_id,
       event_type, schema_version, subject, occurred_at, occurred_precision, source,
       source_url, source_ref, retrieved_at, payload
from (select seq, raw_line, amendment_raw, event_type, {current.replace("fs_unquote(e_event_type)", "event_type")}::integer as schema_version,
             subject, case when accepted then occurred_on end as occurred_at,
             case when accepted then precision end as occurred_precision,
             case when accepted then source_value end as source,
             case when accepted then fs_text(e_source_url) end as source_url,
             case when accepted then fs_text(e_source_ref) end as source_ref,
             case when accepted then fs_unquote(e_retrieved_at)::timestamptz end as retrieved_at, payload
      from events)
"""
