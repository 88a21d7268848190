-- fct_segment_migrations names the segment of a customer missing from one snapshot `new` or `gone`; a real
-- segment of that name would mix with them. Returns the segment definitions that use a placeholder name.
{%- set placeholder = migration_placeholder_segments() %}

with

segment_definitions as (
    select * from {{ ref('segment_definitions') }}
),

placeholder_segments as (
    {%- for name in placeholder.values() %}
    {%- if not loop.first %}
    union all
    {%- endif %}
    select {{ dbt.string_literal(name) }} as segment_name
    {%- endfor %}
),

placeholder_names as (
    select segment_definitions.segment_name
    from segment_definitions
    inner join placeholder_segments
        on segment_definitions.segment_name = placeholder_segments.segment_name
)

select * from placeholder_names
