-- Every customer and prospect outside the seed group (var `lookalike_seed`: by default champions and VIPs),
-- ranked by how closely their features at the as-of date (int_customer_lookalike_features) resemble the seed
-- group's (macro lookalike_resemblance), with the two features that add most to the resemblance.

with

lookalike_features as (
    select * from {{ ref('int_customer_lookalike_features') }}
    where feature_date_role = 'scoring'
),

customer_segments as (
    select * from {{ ref('dim_customer_segments') }}
),

seed_members as (
    select
        customer_segments.customer_id,
        {{ is_lookalike_seed('customer_segments') }} as is_seed
    from customer_segments
),

{{ lookalike_resemblance('scoring', 'lookalike_features', 'seed_members') }},

ranked as (
    select
        customer_id,
        resemblance_score,
        top_resemblance_feature,
        second_resemblance_feature,
        row_number() over (
            order by resemblance_score desc, {{ code_point_sort_key('customer_id') }} asc
        ) as resemblance_rank,
        count(*) over () as ranked_customer_count
    from scoring_resemblance
),

customer_lookalikes as (
    select
        ----------  ids
        ranked.customer_id,
        customer_segments.segment_name,

        ----------  resemblance
        ranked.resemblance_score,
        ranked.resemblance_rank,
        -- 1 holds the tenth who resemble the seed group most
        cast(
            floor((ranked.resemblance_rank - 1) * 10.0 / ranked.ranked_customer_count) + 1 as {{ dbt.type_int() }}
        ) as resemblance_decile,
        ranked.top_resemblance_feature,
        ranked.second_resemblance_feature,

        ----------  date
        {{ date_literal(as_of_date()) }} as as_of_date

    from ranked
    inner join customer_segments
        on ranked.customer_id = customer_segments.customer_id
)

select * from customer_lookalikes
