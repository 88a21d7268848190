{% test relationships_since_last_pass(model, column_name, to, field) %}
{#-
    dbt's `relationships` for a staging model whose rows carry checked_at, towards a parent whose keys are
    never removed (staging only adds rows, see raw_rows_to_check): once it has passed, it looks only at the
    rows checked since its last pass, since every earlier row found its parent then. Before its first pass
    and after a full rebuild it reads every row; after a failure, which records no pass, it reads again
    every row checked since the last pass.
-#}
{%- set last_pass = scorehouse.last_pass_of_this_test(model, 'checked_at') %}
with

child_rows as (
    select {{ column_name }} as child_value
    from {{ model }}
    where {{ column_name }} is not null
    {%- if last_pass is not none %}
        and checked_at > {{ last_pass }}
    {%- endif %}
),

parent_rows as (
    select {{ field }} as parent_value
    from {{ to }}
)

{#- The two forms DuckDB plans best, measured with 100M orders against 300M items: every item, 12 s as a
    left join against 51 s with not exists; a delivery's 1.7M items, 2.5 s with not exists against 7 s. -#}
select child_rows.child_value as missing_value
from child_rows
{%- if last_pass is none %}
left join parent_rows
    on child_rows.child_value = parent_rows.parent_value
where parent_rows.parent_value is null
{%- else %}
where not exists (
    select 1
    from parent_rows
    where parent_rows.parent_value = child_rows.child_value
)
{%- endif %}
{% endtest %}
