-- The score weight review versions as the flow's fit step wrote them; a view over Python's table.
{{ config(materialized='view', tags=['uses_fitted_models']) }}

with

source as (
    select * from {{ source('fitted_models', 'score_weight_versions') }}
),

renamed as (
    select
        ----------  ids
        model_version,
        criterion,

        ----------  weights
        current_weight,
        suggested_weight,

        ----------  fit
        outcome_name,
        status,
        message,
        training_row_count,
        training_cutoff_date,
        fitted_at
    from source
)

select * from renamed
