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

import datetime as dt
import json
import re
import types
import typing
from typing import Literal

from pydantic import BaseModel, ConfigDict

from schemas import registry
from schemas.events import (
    AMENDMENT_TYPES,
    EARLIEST_DATE,
    EARLIEST_RETRIEVED_AT,
    LATEST_DATE,
    LATEST_RETRIEVED_AT,
    SUBJECT_PREFIXES,
)
from schemas.payloads import Changes, CountryCode, EventId, Label, LongText, Payload, Quantity, ShortText
from schemas.registry import EventType, SubjectPart
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


# The field types the SQL knows how to check, by the alias the models use (compared with
# ==: an Annotated alias equals itself). A field of any other type keeps its event type
# off the fast path: every line of it goes to parse_record, which is slower, never wrong.
_KINDS: tuple[tuple[object, Kind], ...] = (
    (ShortText, "short"), (LongText, "long"), (Label, "label"), (CountryCode, "country"),
    (Quantity, "quantity"), (EventId, "event_id"), (Changes, "changes"),
    (bool, "bool"), (float, "number"), (dt.date, "date"),
    (tuple[ShortText, ...], "short_list"), (tuple[Label, ...], "label_list"),
    (tuple[CountryCode, ...], "country_list"),
)


def _kind_of(hint: object) -> tuple[Kind, tuple[str, ...]] | None:
    """(kind, enum values) of a field's type, an optional's None left aside."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        others = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        if len(others) != 1:
            return None
        hint = others[0]
    if typing.get_origin(hint) is Literal and all(isinstance(v, str) for v in typing.get_args(hint)):
        return "enum", typing.get_args(hint)
    for alias, kind in _KINDS:
        if hint == alias:
            return kind, ()
    return None


def payload_fields_of(payload: type[Payload]) -> tuple[PayloadField, ...] | None:
    """The payload model's fields as the SQL checks them, or None when one has a type the
    SQL does not know (the type is then left to parse_record)."""
    hints = typing.get_type_hints(payload, include_extras=True)
    fields = []
    for name, info in payload.model_fields.items():
        kind = _kind_of(hints[name])
        if kind is None:
            return None
        if info.is_required():
            presence: Presence = "required"
            default_json = None
        else:
            default = info.get_default(call_default_factory=True)
            presence = "optional" if default is None else "default"
            default_json = None if default is None else json.dumps(
                list(default) if isinstance(default, tuple) else default, separators=(",", ":")
            )
        fields.append(PayloadField(name=name, kind=kind[0], presence=presence, values=kind[1], default_json=default_json))
    return tuple(fields)


_fields_cache: dict[int, dict[str, tuple[PayloadField, ...]]] = {}


def payload_fields() -> dict[str, tuple[PayloadField, ...]]:
    """{event type: its payload fields} of every registered type the SQL covers."""
    key = registry.generation()
    if key not in _fields_cache:
        _fields_cache.clear()
        _fields_cache[key] = {
            t.event_type: fields
            for t in registry.declarations()
            if (fields := payload_fields_of(t.payload)) is not None and _subject_sql_of(t, fields) is not None
        }
    return _fields_cache[key]


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
    fields = {f.name: f for f in payload_fields()[event_type]}
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


_SUBJECT_VALUE = {
    "short": "fs_text({})", "long": "fs_text({})", "label": "fs_text({})", "country": "upper(fs_text({}))",
    "enum": "fs_unquote({})", "event_id": "fs_unquote({})", "date": "fs_unquote({})",
}


def _subject_sql_of(declared: type[EventType], fields: tuple[PayloadField, ...]) -> tuple[str, str] | None:
    """(the derived subject, the condition under which it equals schemas.events.derive_subject's)
    in SQL, from the type's subject template; None when the template uses a field the SQL
    cannot render (the type is then left to parse_record)."""
    template = declared.subject
    if template is None:
        # The record must name it (schemas.events: _named_subject_when_no_rule).
        return "NULL", f"starts_with(e_subject, {_q(chr(34) + declared.prefix() + ':')})"
    by_name = {f.name: f for f in fields}
    pieces, conditions = [], []
    for piece in template.pieces():
        if isinstance(piece, str):
            pieces.append(_q(piece))
            continue
        rendered = _subject_part_sql(piece, by_name)
        if rendered is None:
            return None
        expression, condition = rendered
        pieces.append(expression)
        if condition:
            conditions.append(condition)
    return " || ".join(pieces), " and ".join(conditions) or "true"


def _subject_part_sql(part: SubjectPart, fields: dict[str, PayloadField]) -> tuple[str, str | None] | None:
    if part.field is None:
        return f"strftime(occurred_on, {_q(part.date_format or '')})", None
    field = fields[part.field]
    leaf = _leaf(field.name)
    conditions = []
    # An absent field gives `default` only when Python's value is then empty; otherwise
    # (a default value, or None printed as text) the line is left to parse_record.
    absent_is_default = part.default is not None and (field.presence == "optional" or field.default_json == "[]")
    if field.presence != "required" and not absent_is_default:
        conditions.append(f"{leaf} is not null")
    if field.kind.endswith("_list"):
        if not part.slug:
            return None
        # slugify(" ".join(names)): the slug of the list's JSON text is the same words, when
        # the names hold a letter or digit (else slugify hashes the joined names: left to
        # parse_record, as is an empty list with no default).
        sluggable = f"regexp_matches({leaf}, '[A-Za-z0-9]')"
        if part.default is None:
            conditions.append(sluggable)
            return f"fs_slug({leaf})", " and ".join(conditions)
        conditions.append(f"(coalesce({leaf}, '[]') = '[]' or {sluggable})")
        return (
            f"case when coalesce({leaf}, '[]') = '[]' then {_q(part.default)} else fs_slug({leaf}) end",
            " and ".join(conditions),
        )
    value = _SUBJECT_VALUE.get(field.kind)
    if value is None:
        return None
    text = value.format(leaf)
    if part.slug:
        text = f"fs_slug({text})"
        if part.default is not None:
            text = f"case when {leaf} is null then {_q(part.default)} else {text} end"
    return text, " and ".join(conditions) or None


def _subject_sql() -> dict[str, tuple[str, str]]:
    fields = payload_fields()
    return {
        t.event_type: rendered
        for t in registry.declarations()
        if t.event_type in fields and (rendered := _subject_sql_of(t, fields[t.event_type])) is not None
    }


def _subject_fits_sql(derived: dict[str, str]) -> str:
    """schemas.events.subject_problem in SQL: an explicit subject carries its type's prefix;
    an amendment's is exactly its derived one, `event:<target_event_id>`."""
    branches = {
        t: f"e_subject = '\"' || {derived[t]} || '\"'"
        if t in AMENDMENT_TYPES
        else f"starts_with(e_subject, {_q(chr(34) + prefix + ':')})"
        for t, prefix in SUBJECT_PREFIXES.items()
        if t in derived
    }
    return f"(e_subject is null or {_case(branches, default='true')})"


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
    names = sorted({f.name for fields in payload_fields().values() for f in fields if f.kind in ("quantity", "number")})
    return ", ".join(f"fs_float_leaf(p_{n}) as p_{n}_repr" for n in names)


def _payload_names() -> list[str]:
    return sorted({f.name for fields in payload_fields().values() for f in fields} | set(V1_LAUNCH_FIELDS))


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
    subjects = _subject_sql()
    for event_type in payload_fields():
        valid, canonical = _payload_sql(event_type)
        if event_type == "model.launched":  # and the v1 -> v2 upcaster, in SQL
            v1_valid, v1_canonical = _payload_sql(event_type, v1=True)
            valid = f"case version when 2 then {valid} when 1 then {v1_valid} end"
            canonical = f"case version when 2 then {canonical} when 1 then {v1_canonical} end"
        else:
            valid = f"version = {CURRENT_VERSIONS[event_type]} and {valid}"
        valid_by_type[event_type] = f"{valid} and {subjects[event_type][1]}"
        payload_by_type[event_type] = canonical
    derived = {t: expression for t, (expression, _) in subjects.items()}
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
      and {_subject_fits_sql(derived)}, false) as envelope_ok
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
