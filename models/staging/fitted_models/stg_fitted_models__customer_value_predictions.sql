-- Written by the refresh's fit step, so built only after it (tag uses_fitted_models).
{{ config(materialized='view', tags=['uses_fitted_models']) }}

with

source as (
    select * from {{ source('fitted_models', 'customer_value_predictions') }}
),

renamed as (
    select
        ----------  ids
        model_version,
        cutoff_role,

        ----------  history
        cast(frequency as {{ dbt.type_bigint() }}) as frequency,
        cast(recency_days as {{ dbt.type_bigint() }}) as recency_days,
        cast(age_days as {{ dbt.type_bigint() }}) as age_days,

        ----------  predictions
        cast(horizon_days as {{ dbt.type_bigint() }}) as horizon_days,
        cast(expected_purchases as {{ scorehouse.type_double() }}) as expected_purchases,
        cast(probability_alive as {{ scorehouse.type_double() }}) as probability_alive,
        cast(discounted_expected_purchases as {{ scorehouse.type_double() }}) as discounted_expected_purchases,
        cast(spend_population_weight as {{ scorehouse.type_double() }}) as spend_population_weight,
        cast(population_mean_spend as {{ scorehouse.type_double() }}) as population_mean_spend

    from source
)

select * from renamed
