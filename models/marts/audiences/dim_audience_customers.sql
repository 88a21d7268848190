-- The persons who may leave the warehouse in an audience (`scorehouse export`): those with an email and
-- marketing consent (int_customers_reconciled: none of their customer_ids declined; no answer counts as var
-- `marketing_consent_when_missing`), with their segment, flags and lookalike rank, and the SHA-256 of
-- their normalised email (trimmed, lower-case), the key ad and email platforms match customers on. The
-- email itself stays in staging.
{%- set consent_when_missing = marketing_consent_when_missing() %}

with

customers as (
    select * from {{ ref('int_customers_reconciled') }}
),

customer_segments as (
    select * from {{ ref('dim_customer_segments') }}
),

customer_lookalikes as (
    select * from {{ ref('fct_customer_lookalikes') }}
),

consenting_customers as (
    select
        customer_id,
        {{ sha256_hex(normalised_email('email')) }} as email_sha256
    from customers
    where
        email is not null
        and coalesce(marketing_consent, {{ 'true' if consent_when_missing else 'false' }})
),

audience_customers as (
    select
        consenting_customers.customer_id,
        consenting_customers.email_sha256,
        customer_segments.segment_name,
        customer_segments.is_vip,
        customer_segments.is_churn_risk,
        customer_segments.is_ambassador,
        customer_segments.is_detractor_to_save,
        customer_lookalikes.resemblance_rank
    from consenting_customers
    inner join customer_segments
        on consenting_customers.customer_id = customer_segments.customer_id
    left join customer_lookalikes
        on consenting_customers.customer_id = customer_lookalikes.customer_id
)

select * from audience_customers
