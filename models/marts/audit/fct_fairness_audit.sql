-- Fairness audit as of the as-of date: for each sensitive attribute of var `fairness_attributes` and each of
-- its groups, the group's customer count, its rate of every outcome the scores decide (VIP, churn risk, each
-- segment) and its mean of every score; per attribute and rate, the disparate-impact ratio (lowest group rate
-- / highest) over the groups compared. A group is compared when it has at least `fairness_min_group_customers`
-- customers and a known value: a small group's rate is too noisy to judge, and customers with a missing value
-- share no attribute.
{%- set attributes = fairness_attributes() %}
{%- set min_group_customers = numeric_var('fairness_min_group_customers', 1, 1000000000, whole_number=true) %}
{%- set threshold = numeric_var('disparate_impact_threshold', 0, 1) %}
{#- only the birth year is known, so the age is the one reached during the as-of date's year #}
{%- set as_of_year = as_of_date()[:4] | int %}
{%- set missing_group_value = 'unknown' %}
{#- outcome name -> flag of dim_customer_segments whose rate each group gets #}
{%- set rate_flags = {'vip': 'is_vip', 'churn_risk': 'is_churn_risk'} %}
{#- Scores whose group means the audit reports, each a column of the `audited_customers` CTE: a new score
    joins by adding its column there and its name here. #}
{%- set mean_score_columns = ['composite_score', 'churn_probability', 'predicted_value'] %}

with

customers as (
    select * from {{ ref('int_customers_summarized') }}
),

customer_segments as (
    select * from {{ ref('dim_customer_segments') }}
),

customer_scores as (
    select * from {{ ref('fct_customer_scores') }}
),

customer_churn_predictions as (
    select * from {{ ref('fct_customer_churn_predictions') }}
),

customer_value_predictions as (
    select * from {{ ref('fct_customer_value_predictions') }}
),

segment_definitions as (
    select * from {{ ref('segment_definitions') }}
),

age_bands as (
    select * from {{ ref('age_bands') }}
),

customer_attributes as (
    select
        customers.customer_id,
        customers.gender,
        customers.country,
        age_bands.age_band
    from customers
    left join age_bands
        on {{ as_of_year }} - customers.birth_year between age_bands.age_min and age_bands.age_max
),

audited_customers as (
    select
        customer_segments.customer_id,
        customer_attributes.gender,
        customer_attributes.country,
        customer_attributes.age_band,
        customer_segments.segment_name,
        customer_segments.is_vip,
        customer_segments.is_churn_risk,
        customer_scores.composite_score,
        customer_churn_predictions.churn_probability,
        customer_value_predictions.predicted_value
    from customer_segments
    left join customer_attributes
        on customer_segments.customer_id = customer_attributes.customer_id
    left join customer_scores
        on customer_segments.customer_id = customer_scores.customer_id
    -- both prediction marts hold the as-of date's predictions only; a skipped or failed fit leaves them null
    left join customer_churn_predictions
        on customer_segments.customer_id = customer_churn_predictions.customer_id
    left join customer_value_predictions
        on customer_segments.customer_id = customer_value_predictions.customer_id
),

customer_groups as (
    {%- for attribute in attributes %}
    select
        '{{ attribute }}' as attribute_name,
        coalesce(cast({{ attribute }} as {{ dbt.type_string() }}), '{{ missing_group_value }}') as group_value,
        customer_id,
        segment_name,
        {%- for flag in rate_flags.values() %}
        {{ flag }},
        {%- endfor %}
        {%- for score_column in mean_score_columns %}
        {{ score_column }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from audited_customers
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

group_sizes as (
    select
        attribute_name,
        group_value,
        count(*) as customer_count
    from customer_groups
    group by attribute_name, group_value
),

flag_rates as (
    {%- for outcome_name, flag in rate_flags.items() %}
    select
        attribute_name,
        group_value,
        '{{ outcome_name }}' as outcome_name,
        'rate' as outcome_kind,
        count(*) as customer_count,
        cast(sum(case when {{ flag }} then 1 else 0 end) as {{ dbt.type_bigint() }}) as outcome_customer_count,
        cast(sum(case when {{ flag }} then 1 else 0 end) as {{ type_double() }}) / count(*) as outcome_value
    from customer_groups
    group by attribute_name, group_value
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

segment_counts as (
    select
        attribute_name,
        group_value,
        segment_name,
        count(*) as segment_customer_count
    from customer_groups
    group by attribute_name, group_value, segment_name
),

segment_rates as (
    -- every segment of the seed, so a group without customers in a segment shows a rate of 0
    select
        group_sizes.attribute_name,
        group_sizes.group_value,
        {{ dbt.concat(["'segment:'", 'segment_definitions.segment_name']) }} as outcome_name,
        'rate' as outcome_kind,
        group_sizes.customer_count,
        cast(coalesce(segment_counts.segment_customer_count, 0) as {{ dbt.type_bigint() }}) as outcome_customer_count,
        cast(coalesce(segment_counts.segment_customer_count, 0) as {{ type_double() }})
        / group_sizes.customer_count as outcome_value
    from group_sizes
    cross join segment_definitions
    left join segment_counts
        on group_sizes.attribute_name = segment_counts.attribute_name
        and group_sizes.group_value = segment_counts.group_value
        and segment_definitions.segment_name = segment_counts.segment_name
),

score_means as (
    {%- for score_column in mean_score_columns %}
    select
        attribute_name,
        group_value,
        '{{ score_column }}' as outcome_name,
        'mean' as outcome_kind,
        count(*) as customer_count,
        -- customers with the score (prospects have none, nobody has a prediction after a failed fit)
        cast(count({{ score_column }}) as {{ dbt.type_bigint() }}) as outcome_customer_count,
        cast({{ exact_average(score_column) }} as {{ type_double() }}) as outcome_value
    from customer_groups
    group by attribute_name, group_value
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

group_outcomes as (
    select * from flag_rates
    union all
    select * from segment_rates
    union all
    select * from score_means
),

compared as (
    select
        *,
        customer_count < {{ min_group_customers }} as is_small_group,
        (
            outcome_kind = 'rate'
            and customer_count >= {{ min_group_customers }}
            and group_value <> '{{ missing_group_value }}'
        ) as is_compared
    from group_outcomes
),

outcome_extremes as (
    select
        *,
        min(case when is_compared then outcome_value end)
            over (partition by attribute_name, outcome_name) as lowest_compared_rate,
        max(case when is_compared then outcome_value end)
            over (partition by attribute_name, outcome_name) as highest_compared_rate,
        sum(case when is_compared then 1 else 0 end)
            over (partition by attribute_name, outcome_name) as compared_group_count
    from compared
),

impact_rated as (
    select
        attribute_name,
        group_value,
        outcome_name,
        outcome_kind,
        customer_count,
        outcome_customer_count,
        outcome_value,
        is_small_group,
        is_compared,
        -- a ratio needs two groups to compare and an outcome that some compared group has
        case
            when is_compared and highest_compared_rate > 0 then outcome_value / highest_compared_rate
        end as rate_ratio_to_highest,
        case
            when compared_group_count >= 2 and highest_compared_rate > 0
                then lowest_compared_rate / highest_compared_rate
        end as disparate_impact_ratio
    from outcome_extremes
),

flagged as (
    select
        attribute_name,
        group_value,
        outcome_name,
        outcome_kind,
        {{ date_literal(as_of_date()) }} as as_of_date,
        customer_count,
        outcome_customer_count,
        outcome_value,
        is_small_group,
        is_compared,
        rate_ratio_to_highest,
        disparate_impact_ratio,
        case
            when is_compared and disparate_impact_ratio is not null
                then disparate_impact_ratio < {{ threshold }}
        end as is_disparate_impact
    from impact_rated
)

select * from flagged
