{% macro lookalike_resemblance(prefix, features_relation, seed_members_relation) %}
    {#-
        CTEs ending in `<prefix>_resemblance`: one row per customer of `features_relation` (customer_id and the
        lookalike_feature_columns) outside the seed group of `seed_members_relation` (customer_id, is_seed),
        with resemblance_score and the two features that add most to it.

        A feature value's weight is the log of how much likelier it is among the seed group than among the
        others (naive Bayes), each share smoothed by one customer per value (Laplace) so that a value seen on
        one side only stays finite; a customer's score is the sum of the weights of their values. Weights are
        exact decimals, so the sums, and the ranks on them, are the same on every warehouse.

        Customers with the same values (a profile) get the same score and explanation, and millions of
        customers share a few thousand profiles: everything is computed per profile, then joined to its
        customers, instead of per customer and feature.
    -#}
{%- set features = scorehouse.lookalike_feature_columns() %}
{{ prefix }}_features_seeded as (
    select
        features.customer_id,
        {%- for feature in features %}
        features.{{ feature }},
        {%- endfor %}
        coalesce(seed_members.is_seed, false) as is_seed
    from {{ features_relation }} as features
    left join {{ seed_members_relation }} as seed_members
        on features.customer_id = seed_members.customer_id
),

{{ prefix }}_profiles as (
    select
        {%- for feature in features %}
        {{ feature }},
        {%- endfor %}
        sum(case when is_seed then 1 else 0 end) as seed_customer_count,
        sum(case when is_seed then 0 else 1 end) as other_customer_count
    from {{ prefix }}_features_seeded
    group by {{ features | join(', ') }}
),

{{ prefix }}_group_sizes as (
    select
        sum(seed_customer_count) as seed_customer_count,
        sum(other_customer_count) as other_customer_count
    from {{ prefix }}_profiles
),

-- one row per profile and feature
{{ prefix }}_profile_values as (
    {%- for feature in features %}
    select
        {%- for profile_feature in features %}
        {{ profile_feature }},
        {%- endfor %}
        '{{ feature }}' as feature,
        {{ feature }} as feature_value,
        seed_customer_count,
        other_customer_count
    from {{ prefix }}_profiles
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

{{ prefix }}_value_counts as (
    select
        feature,
        feature_value,
        sum(seed_customer_count) as seed_customer_count,
        sum(other_customer_count) as other_customer_count,
        count(*) over (partition by feature) as feature_value_count
    from {{ prefix }}_profile_values
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
        {%- for feature in features %}
        profile_values.{{ feature }},
        {%- endfor %}
        feature_weights.feature,
        feature_weights.feature_value,
        feature_weights.weight,
        row_number() over (
            partition by {% for feature in features %}profile_values.{{ feature }}{{ ', ' if not loop.last }}{% endfor %}
            order by feature_weights.weight desc, {{ code_point_sort_key('feature_weights.feature') }} asc
        ) as contribution_rank
    from {{ prefix }}_profile_values as profile_values
    inner join {{ prefix }}_feature_weights as feature_weights
        on profile_values.feature = feature_weights.feature
        and profile_values.feature_value = feature_weights.feature_value
),

{{ prefix }}_profile_resemblance as (
    select
        {%- for feature in features %}
        {{ feature }},
        {%- endfor %}
        sum(weight) as resemblance_score,
        {%- for position, column in [(1, 'top_resemblance_feature'), (2, 'second_resemblance_feature')] %}
        -- a value no likelier among the seed group than among the others does not explain a resemblance
        max(case when contribution_rank = {{ position }} and weight > 0 then {{ dbt.concat([
            'feature', "' = '", 'feature_value', "' (+'",
            'cast(cast(weight as decimal(10, 2)) as ' ~ dbt.type_string() ~ ')', "')'"
        ]) }} end) as {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ prefix }}_contributions_ranked
    group by {{ features | join(', ') }}
),

{{ prefix }}_resemblance as (
    select
        features_seeded.customer_id,
        profile_resemblance.resemblance_score,
        profile_resemblance.top_resemblance_feature,
        profile_resemblance.second_resemblance_feature
    from {{ prefix }}_features_seeded as features_seeded
    inner join {{ prefix }}_profile_resemblance as profile_resemblance
        on {% for feature in features %}features_seeded.{{ feature }} = profile_resemblance.{{ feature }}
        {%- if not loop.last %}
        and {% endif %}{% endfor %}
    where not features_seeded.is_seed
)
{%- endmacro %}
