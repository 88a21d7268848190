-- One row per person: the staged row of the customer that represents it (int_customer_identity), with the
-- marketing consent of all its customer_ids: no if any of them said no, else yes if any said yes, else
-- unknown. A person is never exported on the word of one account when another one declined.

with

customers as (
    select * from {{ ref('stg_shop__customers') }}
),

merged_customers as (
    {{ merged_customers() }}
),

merged_consents as (
    select
        merged_customers.person_id,
        max(case when not customers.marketing_consent then 1 else 0 end) as has_declined,
        max(case when customers.marketing_consent then 1 else 0 end) as has_agreed
    from merged_customers
    inner join customers
        on merged_customers.customer_id = customers.customer_id
    group by merged_customers.person_id
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
        case
            when not customers.marketing_consent or merged_consents.has_declined = 1 then false
            when customers.marketing_consent or merged_consents.has_agreed = 1 then true
        end as marketing_consent,

        ----------  timestamps
        customers.created_at,

        ----------  lineage
        customers.source_file,
        customers.source_row_number,
        customers.loaded_at

    from customers
    left join merged_customers
        on customers.customer_id = merged_customers.customer_id
    left join merged_consents
        on customers.customer_id = merged_consents.person_id
    where merged_customers.customer_id is null
)

select * from persons
