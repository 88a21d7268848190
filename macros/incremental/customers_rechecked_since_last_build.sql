{% macro customers_rechecked_since_last_build(checked_relation) %}
    {#-
        Customers with a row of `checked_relation` (a *_checked staging model or CTE: customer_id, checked_at)
        checked since `this` was last built, by its `computed_at` column: those with new, changed or
        re-checked rows.
    -#}
    select distinct customer_id
    from {{ checked_relation }}
    where checked_at > (
        select coalesce(max(computed_at), cast('1900-01-01' as {{ api.Column.translate_type('timestamp') }}))
        from {{ this }}
    )
{%- endmacro %}
