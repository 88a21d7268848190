{% macro customers_rechecked_since_last_build(checked_relation) %}
    {#-
        Persons with a row of `checked_relation` (a *_checked staging model or CTE: customer_id, checked_at)
        checked since `this` was last built, by its `computed_at` column: those with new, changed or
        re-checked rows; and those whose customer_ids changed (persons_to_recompute).
    -#}
    {%- set rechecked_customers %}
    select customer_id
    from {{ checked_relation }}
    where checked_at > (
        select coalesce(max(computed_at), cast('1900-01-01' as {{ api.Column.translate_type('timestamp') }}))
        from {{ this }}
    )
    {%- endset %}
    {{ scorehouse.persons_to_recompute(rechecked_customers, 'computed_at') }}
{%- endmacro %}
