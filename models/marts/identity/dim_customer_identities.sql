-- Every customer created on or before the as-of date with the person it is scored as (int_customer_identity)
-- and the size of that person's group: where BI looks up the person of any customer_id, and the merged groups
-- (person_customer_count > 1) a data steward reviews.
{%- set as_of = date_literal(as_of_date()) %}

with

customers as (
    select * from {{ ref('stg_shop__customers') }}
),

customer_identity as (
    select * from {{ ref('int_customer_identity') }}
),

identities_as_of as (
    select
        customer_identity.customer_id,
        customer_identity.person_id,
        customer_identity.is_survivor,
        customers.created_at
    from customer_identity
    inner join customers
        on customer_identity.customer_id = customers.customer_id
    where cast(customers.created_at as date) <= {{ as_of }}
),

identities as (
    select
        customer_id,
        person_id,
        is_survivor,
        count(*) over (partition by person_id) as person_customer_count,
        created_at,
        {{ as_of }} as as_of_date
    from identities_as_of
)

select * from identities
