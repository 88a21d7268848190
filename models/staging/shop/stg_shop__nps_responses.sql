-- Rows of the checked model that pass every check; a view, so a run never copies them.
{{ config(materialized='view') }}
{{ rows_passing_checks(ref('stg_shop__nps_responses_checked')) }}
