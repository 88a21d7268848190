-- Customers created on or before the as-of date = persons scored + customer_ids merged into them: every
-- such customer has one identity row, and the survivors are exactly the persons of int_customers_summarized.
-- Returns the counts when they do not add up.
{%- set as_of = date_literal(as_of_date()) %}

with

customers as (
    select * from {{ ref('stg_shop__customers') }}
),

customer_identities as (
    select * from {{ ref('dim_customer_identities') }}
),

persons as (
    select * from {{ ref('int_customers_summarized') }}
),

customer_counts as (
    select count(*) as customer_count
    from customers
    where cast(created_at as date) <= {{ as_of }}
),

identity_counts as (
    select
        count(*) as identity_count,
        coalesce(sum(case when is_survivor then 1 else 0 end), 0) as survivor_count,
        coalesce(sum(case when is_survivor then 0 else 1 end), 0) as merged_count
    from customer_identities
),

person_counts as (
    select count(*) as person_count
    from persons
),

mismatches as (
    select
        customer_counts.customer_count,
        identity_counts.identity_count,
        identity_counts.survivor_count,
        identity_counts.merged_count,
        person_counts.person_count
    from customer_counts
    cross join identity_counts
    cross join person_counts
    where
        customer_counts.customer_count <> person_counts.person_count + identity_counts.merged_count
        or customer_counts.customer_count <> identity_counts.identity_count
        or identity_counts.survivor_count <> person_counts.person_count
)

select * from mismatches
