-- Warns (without stopping the refresh) when the churn model ranks churners at the validation cutoff no better
-- than the plain RFM composite (its AUC is not above the composite's): the model then adds nothing to the rule
-- it would replace, and dim_customer_segments keeps the RFM rule's churn-risk flag. Returns the model's AUC
-- and its gain over the composite's.
{{ config(severity='warn') }}

with

score_validation as (
    select * from {{ ref('fct_score_validation') }}
),

churn_model_auc as (
    select distinct
        score_name,
        auc,
        auc_gain_over_rfm_composite
    from score_validation
    where score_name = 'churn_probability'
)

select * from churn_model_auc
where auc_gain_over_rfm_composite <= 0
