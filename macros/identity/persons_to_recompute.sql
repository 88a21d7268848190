{% macro persons_to_recompute(customers_sql, built_at_column) %}
    {#-
        The persons (int_customer_identity) an incremental model keyed by person recomputes: those of the
        customers `customers_sql` selects (customer_id), and those that gained or lost a customer_id since
        `this` was last built, by its `built_at_column`: a new customer, a changed email or an identity
        setting moves a customer_id from one person to another, and both are recomputed.
    -#}
    select customer_identity.person_id as customer_id
    from ({{ customers_sql }}) as rechecked_customers
    inner join {{ ref('int_customer_identity') }} as customer_identity
        on rechecked_customers.customer_id = customer_identity.customer_id
    union
    select moved_customer.person_id
    from ({{ scorehouse.customers_reidentified_since(built_at_column) }}) as moved_customer
    union
    select moved_customer.previous_person_id
    from ({{ scorehouse.customers_reidentified_since(built_at_column) }}) as moved_customer
    where moved_customer.previous_person_id is not null
{%- endmacro %}

{% macro customers_reidentified_since(built_at_column) %}
    {#- The rows of int_customer_identity written since `this` was last built, by its `built_at_column`. -#}
    select person_id, previous_person_id
    from {{ ref('int_customer_identity') }}
    where identified_at > (
        select coalesce(max({{ built_at_column }}), cast('1900-01-01' as {{ api.Column.translate_type('timestamp') }}))
        from {{ this }}
    )
{%- endmacro %}
