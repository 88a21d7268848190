-- Churn probability of every customer on the as-of date, from the latest churn model version.
{{ config(tags=['uses_fitted_models']) }}

with

churn_probabilities as (
    select * from {{ ref('int_customer_churn_probabilities') }}
),

churn_model_versions as (
    select * from {{ ref('stg_fitted_models__churn_model_versions') }}
),

model_versions as (
    select distinct
        model_version,
        trained_at,
        training_cutoff_date
    from churn_model_versions
),

predictions_as_of as (
    select
        churn_probabilities.customer_id,
        churn_probabilities.cutoff_date as as_of_date,
        churn_probabilities.has_purchased,
        churn_probabilities.churn_probability,
        churn_probabilities.churn_decile,
        churn_probabilities.churn_model_version,
        model_versions.trained_at as churn_model_trained_at,
        model_versions.training_cutoff_date as churn_model_training_cutoff_date
    from churn_probabilities
    left join model_versions
        on churn_probabilities.churn_model_version = model_versions.model_version
    where churn_probabilities.cutoff_role = 'scoring'
)

select * from predictions_as_of
