-- The stored churn model versions as written by the flow's fit_models task; a view over Python's table.
{{ config(materialized='view', tags=['uses_fitted_models']) }}

with

source as (
    select * from {{ source('fitted_models', 'churn_model_versions') }}
),

renamed as (
    select
        ----------  ids
        model_version,
        feature_position,
        feature_name,
        feature_transform,

        ----------  fit
        status,
        message,
        trained_at,
        training_cutoff_date,
        training_row_count,
        training_churn_rate,
        training_auc,

        ----------  parameters
        feature_mean,
        feature_scale,
        coefficient,
        intercept

    from source
)

select * from renamed
