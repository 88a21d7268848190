{% macro rows_passing_checks(checked_relation, columns=none) %}
    {#- The body of a clean staging model: the rows of a *_checked model with no quarantine reason, in the
        columns the clean model documents, or in `columns` when its columns are declared elsewhere (so it
        compiles without reading the warehouse). -#}
    {%- set columns = columns or model.columns -%}
    {%- if execute and not columns -%}
        {{ exceptions.raise_compiler_error(model.name ~ ": document its columns in the staging yml; rows_passing_checks selects exactly those.") }}
    {%- endif -%}
with

checked as (
    select * from {{ checked_relation }}
),

staged as (
    select
        {%- for column_name in columns %}
        {{ adapter.quote(column_name) }}{{ ',' if not loop.last }}
        {%- endfor %}
    from checked
    where quarantine_reason is null
)

select * from staged
{%- endmacro %}
