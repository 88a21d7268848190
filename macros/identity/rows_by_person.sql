{% macro rows_by_person(staged_relation) %}
    {#- The body of a model holding the rows of a clean staging model keyed by customer_id, in the columns
        the model documents, with customer_id replaced by the customer's person (int_customer_identity):
        every model that reads it counts a person's rows together, whichever of its customer_ids they came
        with. -#}
    {%- if execute and 'customer_id' not in model.columns -%}
        {{ exceptions.raise_compiler_error(model.name ~ ": document its columns, customer_id among them, in the identity yml; rows_by_person selects exactly those.") }}
    {%- endif -%}
with

staged as (
    select * from {{ staged_relation }}
),

merged_customers as (
    {{ merged_customers() }}
),

by_person as (
    select
        {%- for column_name in model.columns %}
        {% if column_name == 'customer_id' -%}
        coalesce(merged_customers.person_id, staged.customer_id) as customer_id
        {%- else -%}
        staged.{{ adapter.quote(column_name) }}
        {%- endif %}{{ ',' if not loop.last }}
        {%- endfor %}
    from staged
    left join merged_customers
        on staged.customer_id = merged_customers.customer_id
)

select * from by_person
{%- endmacro %}
