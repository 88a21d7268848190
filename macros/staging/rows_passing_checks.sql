{% macro rows_passing_checks(checked_relation) %}
    {#- The body of a clean staging model: the rows of a *_checked model with no quarantine reason, in the
        columns the clean model documents (so it compiles without reading the warehouse). -#}
    {%- if execute and not model.columns -%}
        {{ exceptions.raise_compiler_error(model.name ~ ": document its columns in the staging yml; rows_passing_checks selects exactly those.") }}
    {%- endif -%}
with

checked as (
    select * from {{ checked_relation }}
),

staged as (
    select
        {%- for column_name in model.columns %}
        {{ adapter.quote(column_name) }}{{ ',' if not loop.last }}
        {%- endfor %}
    from checked
    where quarantine_reason is null
)

select * from staged
{%- endmacro %}
