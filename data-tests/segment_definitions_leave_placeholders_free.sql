-- fct_segment_migrations names the segment of a customer missing from one snapshot `new` or `gone`; a real
-- segment of that name would mix with them. Returns the segment definitions that use a placeholder name.
{%- set placeholder = migration_placeholder_segments() %}

with

segment_definitions as (
    select * from {{ ref('segment_definitions') }}
),

placeholder_names as (
    select segment_name from segment_definitions
    where segment_name in ('{{ placeholder.values() | join("', '") }}')
)

select * from placeholder_names
