-- (After 70_source_coverage.sql: a macro is bound when created, so the table the
-- reader core.source_coverage_in names must exist first.)
-- The last day through which some source aims to list every event of this type (NULL:
-- none does): a period that ends after it is incomplete in the marts.
create or replace macro core.complete_through(as_of, src, of_event_type) as
    (select max(complete_through) from core.source_coverage_in(as_of, src) where list_contains(event_types, of_event_type));
