-- Each customer's scores and segment on every as-of date a refresh has scored. A run adds the rows of its
-- as-of date and replaces them when the same date is scored again, so reruns are idempotent.
-- Recorded only once every published mart it does not feed has passed its tests (dbt builds a model after
-- the tests of everything it depends on): a test that holds back the publication holds back the history.
-- depends_on: {{ ref('fct_customer_scores') }}, {{ ref('fct_customer_rfm_scores') }}, {{ ref('fct_segment_summary') }}
-- depends_on: {{ ref('fct_cross_sell_candidates') }}, {{ ref('fct_cross_sell_recommendations') }}
-- depends_on: {{ ref('fct_segment_trends') }}, {{ ref('fct_lead_scores') }}, {{ ref('fct_lead_score_rule_hits') }}
-- depends_on: {{ ref('fct_fairness_audit') }}, {{ ref('fct_score_validation') }}
-- depends_on: {{ ref('fct_customer_value_validation') }}, {{ ref('fct_rfm_grid') }}
-- depends_on: {{ ref('fct_composite_score_histogram') }}, {{ ref('fct_customer_churn_predictions') }}
-- depends_on: {{ ref('fct_customer_value_predictions') }}, {{ ref('fct_score_weight_review') }}
-- depends_on: {{ ref('dim_customer_identities') }}
{{ config(
    unique_key='as_of_date',
    partition_by=['as_of_date'] if target.type == 'spark' else none,
) }}

with

customer_segments as (
    select * from {{ ref('dim_customer_segments') }}
),

customers as (
    select * from {{ ref('int_customers_summarized') }}
),

snapshot as (
    select
        ----------  ids
        customer_segments.customer_id,

        ----------  segment
        customer_segments.segment_name,
        customer_segments.is_vip,
        customer_segments.is_churn_risk,
        customer_segments.is_ambassador,
        customer_segments.is_detractor_to_save,

        ----------  scores
        customer_segments.recency_score,
        customer_segments.frequency_score,
        customer_segments.monetary_score,
        customer_segments.composite_score,

        ----------  facts behind the scores
        customers.has_purchased,
        customers.recency_days,
        customers.frequency,
        customers.monetary,
        customers.purchase_count,
        customers.lifetime_revenue,
        customers.average_order_value,

        ----------  date (last: Spark keeps partition columns at the end)
        customer_segments.as_of_date

    from customer_segments
    inner join customers
        on customer_segments.customer_id = customers.customer_id
)

select * from snapshot
