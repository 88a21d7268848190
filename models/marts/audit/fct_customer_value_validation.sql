-- BG/NBD's out-of-time check, the classic one: customers who had bought by the validation cutoff V, grouped
-- by their repeat purchase days up to V (0, 1, ..., 7+), with the mean purchase days the model fitted at V
-- expected in (V, as-of date] against the mean they made. Purchase days after V are the growth of the
-- repeat purchase days from V to the as-of date: the first purchase day is the same at both cutoffs.
{#- the last group holds everyone with this many repeat purchase days or more, as in the published chart -#}
{%- set top_group_repeat_purchase_days = 7 %}

with

customer_value_predictions as (
    select * from {{ ref('int_customer_value_predictions') }}
),

at_validation_cutoff as (
    select
        customer_id,
        cutoff_date,
        frequency,
        expected_purchases
    from customer_value_predictions
    where cutoff_role = 'validation'
),

at_scoring_cutoff as (
    select
        customer_id,
        frequency
    from customer_value_predictions
    where cutoff_role = 'scoring'
),

purchases_compared as (
    select
        at_validation_cutoff.customer_id,
        at_validation_cutoff.cutoff_date,
        case
            when at_validation_cutoff.frequency >= {{ top_group_repeat_purchase_days }}
                then {{ top_group_repeat_purchase_days }}
            else at_validation_cutoff.frequency
        end as repeat_purchase_days_group,
        at_validation_cutoff.expected_purchases as predicted_purchase_days,
        at_scoring_cutoff.frequency - at_validation_cutoff.frequency as actual_purchase_days
    from at_validation_cutoff
    inner join at_scoring_cutoff
        on at_validation_cutoff.customer_id = at_scoring_cutoff.customer_id
),

grouped as (
    select
        repeat_purchase_days_group,
        case
            when repeat_purchase_days_group = {{ top_group_repeat_purchase_days }}
                then '{{ top_group_repeat_purchase_days }}+'
            else cast(repeat_purchase_days_group as {{ dbt.type_string() }})
        end as repeat_purchase_days_label,
        max(cutoff_date) as validation_cutoff_date,
        {{ date_literal(as_of_date()) }} as outcome_end_date,
        cast(count(*) as {{ dbt.type_bigint() }}) as customer_count,
        -- null when the BG/NBD fit at the validation cutoff failed
        cast({{ exact_average('predicted_purchase_days') }} as {{ type_double() }}) as mean_predicted_purchase_days,
        cast({{ exact_average('actual_purchase_days') }} as {{ type_double() }}) as mean_actual_purchase_days
    from purchases_compared
    group by repeat_purchase_days_group
)

select * from grouped
