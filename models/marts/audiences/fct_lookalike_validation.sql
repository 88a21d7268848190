-- Whether the lookalike ranking finds customers who become like the seed group: the ranking is redone as of
-- an earlier score-history snapshot (int_customer_lookalike_features' `validation` date), with the seed group
-- that snapshot recorded, and each customer outside it then is followed to the as-of date. Buyers then and
-- prospects then are ranked apart, as their outcomes differ: a buyer's is joining the seed group, a
-- prospect's buying. One row per group and decile, with its outcome rate against the rest of its group's; no
-- rows without a snapshot old enough.

with

lookalike_features as (
    select * from {{ ref('int_customer_lookalike_features') }}
    where feature_date_role = 'validation'
),

customer_score_history as (
    select * from {{ ref('fct_customer_score_history') }}
),

customer_segments as (
    select * from {{ ref('dim_customer_segments') }}
),

snapshot_members as (
    select
        customer_score_history.customer_id,
        customer_score_history.as_of_date as snapshot_date,
        customer_score_history.has_purchased,
        {{ is_lookalike_seed('customer_score_history') }} as is_seed
    from customer_score_history
    where customer_score_history.as_of_date in (select lookalike_features.feature_date from lookalike_features)
),

{{ lookalike_resemblance('validation', 'lookalike_features', 'snapshot_members') }},

grouped as (
    select
        validation_resemblance.customer_id,
        validation_resemblance.resemblance_score,
        snapshot_members.snapshot_date,
        case when snapshot_members.has_purchased then 'buyers' else 'prospects' end as customer_group,
        case
            when not snapshot_members.has_purchased then customer_segments.segment_name <> 'prospect'
            else {{ is_lookalike_seed('customer_segments') }}
        end as has_outcome
    from validation_resemblance
    inner join snapshot_members
        on validation_resemblance.customer_id = snapshot_members.customer_id
    inner join customer_segments
        on validation_resemblance.customer_id = customer_segments.customer_id
),

ranked as (
    select
        *,
        row_number() over (
            partition by customer_group
            order by resemblance_score desc, {{ code_point_sort_key('customer_id') }} asc
        ) as resemblance_rank,
        count(*) over (partition by customer_group) as ranked_customer_count
    from grouped
),

deciles as (
    select
        snapshot_date,
        customer_group,
        cast(
            floor((resemblance_rank - 1) * 10.0 / ranked_customer_count) + 1 as {{ dbt.type_int() }}
        ) as resemblance_decile,
        count(*) as customer_count,
        sum(case when has_outcome then 1 else 0 end) as outcome_customer_count
    from ranked
    group by
        snapshot_date,
        customer_group,
        cast(floor((resemblance_rank - 1) * 10.0 / ranked_customer_count) + 1 as {{ dbt.type_int() }})
),

with_rest as (
    select
        *,
        sum(customer_count) over (partition by customer_group) - customer_count as rest_customer_count,
        sum(outcome_customer_count) over (partition by customer_group) - outcome_customer_count
            as rest_outcome_customer_count
    from deciles
),

lookalike_validation as (
    select
        snapshot_date,
        {{ date_literal(as_of_date()) }} as as_of_date,
        customer_group,
        resemblance_decile,
        customer_count,
        outcome_customer_count,
        cast(outcome_customer_count as {{ type_double() }}) / customer_count as outcome_rate,
        cast(rest_outcome_customer_count as {{ type_double() }}) / nullif(rest_customer_count, 0)
            as rest_outcome_rate,
        (cast(outcome_customer_count as {{ type_double() }}) / customer_count)
        / nullif(cast(rest_outcome_customer_count as {{ type_double() }}) / nullif(rest_customer_count, 0), 0)
            as lift_over_rest
    from with_rest
)

select * from lookalike_validation
