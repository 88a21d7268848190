-- Warns (without stopping the refresh) when a score's top decile at the validation cutoff shows its outcome
-- less than `min_score_lift` times as often as its bottom decile: the score barely tells customers apart,
-- and someone should look at it before acting on it. A score whose top decile never shows the outcome warns
-- too; one whose bottom decile never does (no lift to compute) does not. Returns the scores below the bar.
-- The composite under suggested weights is only a proposal (fct_score_weight_review) and acts on nobody.
{{ config(severity='warn') }}

with

score_validation as (
    select * from {{ ref('fct_score_validation') }}
),

score_lifts as (
    select distinct
        score_name,
        top_decile_outcome_rate,
        bottom_decile_outcome_rate,
        lift
    from score_validation
    where score_name <> 'composite_suggested_weights'
)

select * from score_lifts
where not {{ score_lift_reaches_minimum('top_decile_outcome_rate', 'bottom_decile_outcome_rate') }}
