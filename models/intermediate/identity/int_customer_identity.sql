-- The person each staged customer is scored as: customers whose email matches (identity_email_key) are one
-- person, represented by the oldest of them (earliest created_at, then lowest customer_id); a customer
-- without an email, or every customer while var identity_reconciliation is false, is a person of its own.
-- Incremental: a run writes only the customers whose person changed or who are new, with the person they
-- had before, so the incremental summaries recompute both persons (persons_to_recompute).
{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key='customer_id',
) }}

with

customers as (
    select * from {{ ref('stg_shop__customers') }}
),

{% if is_incremental() %}
previous_identity as (
    select * from {{ this }}
),

{% endif %}
matched as (
    select
        customer_id,
        created_at,
        {% if identity_reconciliation() -%}
        {{ identity_email_key('email') }}
        {%- else -%}
        cast(null as {{ dbt.type_string() }})
        {%- endif %} as email_key
    from customers
),

identified as (
    select
        customer_id,
        case
            when email_key is null then customer_id
            else
                first_value(customer_id) over (
                    partition by email_key
                    order by created_at, {{ code_point_sort_key('customer_id') }}
                    rows between unbounded preceding and unbounded following
                )
        end as person_id
    from matched
),

changed as (
    select
        identified.customer_id,
        identified.person_id,
        identified.customer_id = identified.person_id as is_survivor,
        {% if is_incremental() -%}
        previous_identity.person_id
        {%- else -%}
        cast(null as {{ dbt.type_string() }})
        {%- endif %} as previous_person_id,
        {{ run_started_timestamp() }} as identified_at
    from identified
    {% if is_incremental() %}
    left join previous_identity
        on identified.customer_id = previous_identity.customer_id
    where
        previous_identity.customer_id is null
        or previous_identity.person_id <> identified.person_id
    {% endif %}
)

select * from changed
