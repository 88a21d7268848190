-- Warns (without stopping the refresh) when a score's distribution over purchasers moved more than
-- `psi_warning_threshold` since the previous as-of date: the scores still publish, but someone should look at
-- what changed in the data or the settings. Returns the scores of the latest as-of date above the threshold.
{{ config(severity='warn') }}
{%- set threshold = numeric_var('psi_warning_threshold', 0, 100) %}

with

score_stability as (
    select * from {{ ref('fct_score_stability') }}
),

latest_as_of_date as (
    select max(as_of_date) as as_of_date from score_stability
),

latest_stability as (
    select score_stability.*
    from score_stability
    inner join latest_as_of_date
        on score_stability.as_of_date = latest_as_of_date.as_of_date
),

unstable_scores as (
    select
        as_of_date,
        score_name,
        previous_as_of_date,
        population_stability_index
    from latest_stability
    where population_stability_index > {{ threshold }}
)

select * from unstable_scores
