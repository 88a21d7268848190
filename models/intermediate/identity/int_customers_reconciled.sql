-- One row per person: the staged row of the customer that represents it (int_customer_identity), with the
-- marketing consent of all its customer_ids: no if any of them said no, else yes if any said yes, else
-- unknown. A person is never exported on the word of one account when another one declined.

with

customers as (
    select * from {{ ref('stg_shop__customers') }}
),

customer_identity as (
    select * from {{ ref('int_customer_identity') }}
),

person_consents as (
    select
        customer_identity.person_id,
        case
            when max(case when not customers.marketing_consent then 1 else 0 end) = 1 then false
            when max(case when customers.marketing_consent then 1 else 0 end) = 1 then true
        end as marketing_consent
    from customers
    inner join customer_identity
        on customers.customer_id = customer_identity.customer_id
    group by customer_identity.person_id
),

persons as (
    select
        ----------  ids
        customers.customer_id,

        ----------  attributes
        customers.email,
        customers.country,
        customers.gender,
        customers.acquisition_channel,
        customers.birth_year,
        person_consents.marketing_consent,

        ----------  timestamps
        customers.created_at,

        ----------  lineage
        customers.source_file,
        customers.source_row_number,
        customers.loaded_at

    from customers
    inner join person_consents
        on customers.customer_id = person_consents.person_id
)

select * from persons
