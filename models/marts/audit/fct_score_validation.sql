-- Out-of-time validation of every score: customers scored at the validation cutoff, in deciles from the
-- customers most likely to show the score's outcome (decile 1) to the least likely (decile 10), against what
-- they did after the cutoff up to the as-of date. Per decile: size, mean score, observed outcome rate, mean
-- predicted outcome (calibration) and the cumulative share of the outcomes captured (gain); per score: lift (top
-- decile's outcome rate / bottom decile's, the marketing rule), top decile's rate / base rate, AUC, Gini, its
-- AUC's gain over the RFM composite's and, for probabilities, Brier score and expected calibration error.
--
-- AUC is the Mann-Whitney probability that a customer with the outcome ranks above one without it, ties
-- counting half. With customers ranked by the score in the outcome's direction, a tie group at positions
-- s..e has the mean rank (s + e) / 2, so summing t = s - 1 + e over the n1 customers with the outcome (n0
-- without) gives AUC = (sum(t) - n1^2) / (2 n1 n0) and Gini = 2 AUC - 1 = (sum(t) - n1^2 - n1 n0) / (n1 n0),
-- each one division of whole numbers.
{%- set decile_count = 10 %}
{#- the plain RFM rule every predictive score has to beat -#}
{%- set baseline_score_name = 'rfm_composite' %}

with

scores_at_validation_cutoff as (
    select * from {{ ref('int_scores_at_validation_cutoff') }}
),

outcome_directed as (
    select
        score_name,
        outcome_name,
        higher_score_predicts_outcome,
        cutoff_date,
        customer_id,
        score_value,
        predicted_outcome,
        outcome,
        -- higher means the outcome is more likely, whichever way the score itself runs
        case when higher_score_predicts_outcome then score_value else -score_value end as outcome_directed_score
    from scores_at_validation_cutoff
    where score_value is not null
),

ranked as (
    select
        *,
        -- equal scores share the decile of their middle position, so a tie never splits by an arbitrary key
        {{ tie_sharing_bucket('outcome_directed_score desc', decile_count, 'score_name') }} as decile,
        {{ tie_group_position_sum('outcome_directed_score asc', 'score_name') }} as ascending_position_sum
    from outcome_directed
),

score_totals as (
    select
        score_name,
        outcome_name,
        higher_score_predicts_outcome,
        max(cutoff_date) as validation_cutoff_date,
        cast(count(*) as {{ dbt.type_bigint() }}) as score_customer_count,
        cast(sum(outcome) as {{ dbt.type_bigint() }}) as score_outcome_customer_count,
        cast(sum(case when outcome = 1 then ascending_position_sum else 0 end) as {{ dbt.type_bigint() }})
            as outcome_position_sum,
        -- null for a score without a probability scale
        cast({{ exact_average('predicted_outcome') }} as {{ type_double() }}) as score_mean_predicted_outcome,
        cast(
            {{ exact_average('(predicted_outcome - outcome) * (predicted_outcome - outcome)') }} as {{ type_double() }}
        ) as brier_score
    from ranked
    group by score_name, outcome_name, higher_score_predicts_outcome
),

score_class_counts as (
    select
        *,
        score_customer_count - score_outcome_customer_count as score_no_outcome_customer_count
    from score_totals
),

score_auc as (
    select
        score_name,
        outcome_name,
        higher_score_predicts_outcome,
        validation_cutoff_date,
        score_customer_count,
        score_outcome_customer_count,
        cast(score_outcome_customer_count as {{ type_double() }}) / score_customer_count as score_outcome_rate,
        score_mean_predicted_outcome,
        brier_score,
        -- both outcomes are needed to compare customers with and without it
        case
            when score_outcome_customer_count > 0 and score_no_outcome_customer_count > 0
                then cast(
                        outcome_position_sum - score_outcome_customer_count * score_outcome_customer_count
                        as {{ type_double() }}
                    )
                    / (2 * score_outcome_customer_count * score_no_outcome_customer_count)
        end as auc,
        case
            when score_outcome_customer_count > 0 and score_no_outcome_customer_count > 0
                then cast(
                        outcome_position_sum - score_outcome_customer_count * score_outcome_customer_count
                        - score_outcome_customer_count * score_no_outcome_customer_count as {{ type_double() }}
                    )
                    / (score_outcome_customer_count * score_no_outcome_customer_count)
        end as gini
    from score_class_counts
),

decile_outcomes as (
    select
        score_name,
        decile,
        cast(count(*) as {{ dbt.type_bigint() }}) as customer_count,
        min(score_value) as min_score_value,
        max(score_value) as max_score_value,
        cast({{ exact_average('score_value') }} as {{ type_double() }}) as mean_score_value,
        cast(sum(outcome) as {{ dbt.type_bigint() }}) as outcome_customer_count,
        cast(sum(outcome) as {{ type_double() }}) / count(*) as outcome_rate,
        -- null for a score without a probability scale
        cast({{ exact_average('predicted_outcome') }} as {{ type_double() }}) as mean_predicted_outcome
    from ranked
    group by score_name, decile
),

decile_extremes as (
    -- ties share a decile, so the top and bottom deciles are the first and last that hold customers
    select
        *,
        min(decile) over (partition by score_name) as top_decile,
        max(decile) over (partition by score_name) as bottom_decile,
        sum(customer_count) over (
            partition by score_name
            order by decile rows between unbounded preceding and current row
        ) as cumulative_customer_count,
        sum(outcome_customer_count) over (
            partition by score_name
            order by decile rows between unbounded preceding and current row
        ) as cumulative_outcome_customer_count
    from decile_outcomes
),

-- the customer-weighted mean gap between predicted and observed rate over the deciles, summed exactly so that
-- every warehouse gives the same bits
score_calibration as (
    select
        decile_extremes.score_name,
        cast(sum(cast(
            decile_extremes.customer_count * abs(decile_extremes.mean_predicted_outcome - decile_extremes.outcome_rate)
            as decimal(38, 9)
        )) as {{ type_double() }}) / max(score_auc.score_customer_count) as expected_calibration_error
    from decile_extremes
    inner join score_auc
        on decile_extremes.score_name = score_auc.score_name
    group by decile_extremes.score_name
),

baseline_auc as (
    select max(auc) as baseline_auc
    from score_auc
    where score_name = '{{ baseline_score_name }}'
),

score_lift as (
    select
        score_name,
        max(case when decile = top_decile then outcome_rate end) as top_decile_outcome_rate,
        max(case when decile = bottom_decile then outcome_rate end) as bottom_decile_outcome_rate
    from decile_extremes
    group by score_name
),

validated as (
    select
        score_auc.score_name,
        score_auc.outcome_name,
        score_auc.higher_score_predicts_outcome,
        score_auc.validation_cutoff_date,
        {{ date_literal(as_of_date()) }} as outcome_end_date,
        decile_extremes.decile,
        decile_extremes.customer_count,
        decile_extremes.min_score_value,
        decile_extremes.max_score_value,
        decile_extremes.mean_score_value,
        decile_extremes.outcome_customer_count,
        decile_extremes.outcome_rate,
        decile_extremes.mean_predicted_outcome,
        cast(decile_extremes.cumulative_customer_count as {{ type_double() }}) / score_auc.score_customer_count
            as cumulative_customer_share,
        cast(decile_extremes.cumulative_outcome_customer_count as {{ type_double() }})
        / nullif(score_auc.score_outcome_customer_count, 0) as cumulative_outcome_capture,
        score_auc.score_customer_count,
        score_auc.score_outcome_customer_count,
        score_auc.score_outcome_rate,
        score_lift.top_decile_outcome_rate,
        score_lift.bottom_decile_outcome_rate,
        -- no lift when nobody in the bottom decile has the outcome
        score_lift.top_decile_outcome_rate / nullif(score_lift.bottom_decile_outcome_rate, 0) as lift,
        score_lift.top_decile_outcome_rate / nullif(score_auc.score_outcome_rate, 0) as top_decile_lift_over_base_rate,
        score_auc.auc,
        score_auc.gini,
        case
            when score_auc.score_name <> '{{ baseline_score_name }}' then score_auc.auc - baseline_auc.baseline_auc
        end as auc_gain_over_rfm_composite,
        score_auc.score_mean_predicted_outcome,
        score_auc.brier_score,
        score_calibration.expected_calibration_error
    from decile_extremes
    inner join score_auc
        on decile_extremes.score_name = score_auc.score_name
    inner join score_lift
        on decile_extremes.score_name = score_lift.score_name
    inner join score_calibration
        on decile_extremes.score_name = score_calibration.score_name
    cross join baseline_auc
)

select * from validated
