{% macro merged_customers() %}
    {#- A select of the customer_ids merged into an older customer of their email (int_customer_identity), with
        their person: few against all customers, so a reader probes them instead of every identity row. -#}
    select
        customer_id,
        person_id
    from {{ ref('int_customer_identity') }}
    where not is_survivor
{%- endmacro %}
