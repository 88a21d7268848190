{% macro recomputed_customer_markers(customers_relation) %}
    {#-
        A select of one marker row per customer of `customers_relation` (a relation or CTE with customer_id)
        in the columns of `this`: the customer_id, every other column null. An incremental model keyed by
        customer_id adds them to its new rows so that delete+insert removes the old rows of every recomputed
        customer, also of one left with no rows now; the model's post-hook (delete_recomputed_customer_markers)
        then deletes the markers.
    -#}
    select
        {%- for column in adapter.get_columns_in_relation(this) %}
        {% if column.name == 'customer_id' -%}
        customer_id
        {%- else -%}
        cast(null as {{ column.data_type }}) as {{ column.name }}
        {%- endif %}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ customers_relation }}
{%- endmacro %}
