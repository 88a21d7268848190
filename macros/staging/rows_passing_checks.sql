{% macro rows_passing_checks(checked_relation) %}
    {#- The body of a clean staging model: the rows of a *_checked model with no quarantine reason. -#}
with

checked as (
    select * from {{ checked_relation }}
),

staged as (
    select
        {{ scorehouse.columns_except(checked_relation, ['quarantine_reason']) }}
    from checked
    where quarantine_reason is null
)

select * from staged
{%- endmacro %}
