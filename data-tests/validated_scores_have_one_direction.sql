-- Each score of int_scores_at_validation_cutoff has one outcome, one direction and one cutoff date; a union
-- branch that mixed two would rank customers against two different questions in fct_score_validation.
-- Returns the scores that do not.
with

scores_at_validation_cutoff as (
    select * from {{ ref('int_scores_at_validation_cutoff') }}
),

score_settings as (
    select
        score_name,
        count(distinct outcome_name) as outcome_name_count,
        count(distinct case when higher_score_predicts_outcome then 1 else 0 end) as direction_count,
        count(distinct cutoff_date) as cutoff_date_count
    from scores_at_validation_cutoff
    group by score_name
)

select * from score_settings
where outcome_name_count > 1
    or direction_count > 1
    or cutoff_date_count > 1
