{% macro lookalike_resemblance(prefix, features_relation, seed_members_relation) %}
    {#-
        CTEs ending in `<prefix>_resemblance`: one row per customer of `features_relation` (customer_id,
        feature, feature_value) outside the seed group of `seed_members_relation` (customer_id, is_seed),
        with resemblance_score and the two features that add most to it.

        A feature value's weight is the log of how much likelier it is among the seed group than among the
        others (naive Bayes), each share smoothed by one customer per value (Laplace) so that a value seen on
        one side only stays finite; a customer's score is the sum of the weights of their values. Weights are
        exact decimals, so the sums, and the ranks on them, are the same on every warehouse.
    -#}
{{ prefix }}_features_seeded as (
    select
        features.customer_id,
        features.feature,
        features.feature_value,
        coalesce(seed_members.is_seed, false) as is_seed
    from {{ features_relation }} as features
    left join {{ seed_members_relation }} as seed_members
        on features.customer_id = seed_members.customer_id
),

{{ prefix }}_group_sizes as (
    select
        count(distinct case when is_seed then customer_id end) as seed_customer_count,
        count(distinct case when not is_seed then customer_id end) as other_customer_count
    from {{ prefix }}_features_seeded
),

{{ prefix }}_value_counts as (
    select
        feature,
        feature_value,
        sum(case when is_seed then 1 else 0 end) as seed_customer_count,
        sum(case when is_seed then 0 else 1 end) as other_customer_count,
        count(*) over (partition by feature) as feature_value_count
    from {{ prefix }}_features_seeded
    group by feature, feature_value
),

{{ prefix }}_feature_weights as (
    select
        value_counts.feature,
        value_counts.feature_value,
        cast(
            ln(
                (value_counts.seed_customer_count + 1.0)
                / (group_sizes.seed_customer_count + value_counts.feature_value_count)
            )
            - ln(
                (value_counts.other_customer_count + 1.0)
                / (group_sizes.other_customer_count + value_counts.feature_value_count)
            )
            as decimal(18, 9)
        ) as weight
    from {{ prefix }}_value_counts as value_counts
    cross join {{ prefix }}_group_sizes as group_sizes
),

{{ prefix }}_contributions_ranked as (
    select
        features_seeded.customer_id,
        feature_weights.feature,
        feature_weights.feature_value,
        feature_weights.weight,
        row_number() over (
            partition by features_seeded.customer_id
            order by feature_weights.weight desc, {{ code_point_sort_key('feature_weights.feature') }} asc
        ) as contribution_rank
    from {{ prefix }}_features_seeded as features_seeded
    inner join {{ prefix }}_feature_weights as feature_weights
        on features_seeded.feature = feature_weights.feature
        and features_seeded.feature_value = feature_weights.feature_value
    where not features_seeded.is_seed
),

{{ prefix }}_resemblance as (
    select
        customer_id,
        sum(weight) as resemblance_score,
        {%- for position, column in [(1, 'top_resemblance_feature'), (2, 'second_resemblance_feature')] %}
        -- a value no likelier among the seed group than among the others does not explain a resemblance
        max(case when contribution_rank = {{ position }} and weight > 0 then {{ dbt.concat([
            'feature', "' = '", 'feature_value', "' (+'",
            'cast(cast(weight as decimal(10, 2)) as ' ~ dbt.type_string() ~ ')', "')'"
        ]) }} end) as {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ prefix }}_contributions_ranked
    group by customer_id
)
{%- endmacro %}
