{% macro merged_customers() %}
    {#- A select of the customer_ids merged into an older customer of their email (int_customer_identity), with
        their person: few against all customers, so a reader probes them instead of every identity row. The
        filter compares the ids rather than reading is_survivor: when is_survivor's statistics show no merged
        customer, DuckDB 2.0.0 folds comparisons on the outer joins downstream wrongly (has_purchased came out
        false for buyers). -#}
    select
        customer_id,
        person_id
    from {{ ref('int_customer_identity') }}
    where customer_id <> person_id
{%- endmacro %}
