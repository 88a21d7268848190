{% macro campaign_results(attributed_sends, group_columns) %}
    {#- The body of a campaign results mart: per group of `group_columns` (campaign_id first) of the
        attributed sends, treated and control sizes, responders, response rates and revenue per customer,
        and the uplift of the treated group over the control group with confidence intervals (normal
        approximation: estimate +- z x sqrt(var_treated / n_treated + var_control / n_control)). -#}
    {%- set z = scorehouse.campaign_confidence_z() -%}
    {%- set min_group_customers = scorehouse.numeric_var(
        'campaign_min_group_customers', 1, 1000000000, whole_number=true
    ) -%}
    {%- set double = scorehouse.type_double() -%}
    {%- set z = 'cast(' ~ z ~ ' as ' ~ double ~ ')' -%}
    {#- Spark rounds a product of decimals to 6 places: squares of amounts with up to 3 decimals (money has
        2) are exact, and alike, on every warehouse -#}
    {%- set revenue_square = 'cast(response_revenue * response_revenue as decimal(38, 6))' -%}
with

campaign_sends_attributed as (
    select * from {{ attributed_sends }}
),

campaigns as (
    select
        campaign_id,
        -- one channel, or 'mixed' when the campaign went out through several
        case when min(channel) = max(channel) then min(channel) when min(channel) is not null then 'mixed' end
            as channel,
        min(sent_at) as first_sent_at,
        max(sent_at) as last_sent_at,
        -- every send's window ended by the close of the as-of date, so no response is still to come
        cast(max(attribution_ends_at) as date) <= {{ date_literal(as_of_date()) }}
            as is_attribution_window_complete
    from campaign_sends_attributed
    group by campaign_id
),

group_counts as (
    select
        {{ group_columns | join(',\n        ') }},
        cast(sum(case when is_control then 0 else 1 end) as {{ dbt.type_bigint() }}) as treated_customer_count,
        cast(sum(case when is_control then 1 else 0 end) as {{ dbt.type_bigint() }}) as control_customer_count,
        cast(sum(case when not is_control and has_responded then 1 else 0 end) as {{ dbt.type_bigint() }})
            as treated_responder_count,
        cast(sum(case when is_control and has_responded then 1 else 0 end) as {{ dbt.type_bigint() }})
            as control_responder_count,
        cast(sum(case when is_control then 0 else response_revenue end) as {{ dbt.type_numeric() }})
            as treated_revenue,
        cast(sum(case when is_control then response_revenue else 0 end) as {{ dbt.type_numeric() }})
            as control_revenue,
        -- exact sums of squares for the revenue variances: a parallel var_samp() of doubles can differ in
        -- its last bits from run to run, and a rerun on the same data must publish nothing new
        cast(sum(case when is_control then 0 else {{ revenue_square }} end) as decimal(38, 6))
            as treated_revenue_sum_of_squares,
        cast(sum(case when is_control then {{ revenue_square }} else 0 end) as decimal(38, 6))
            as control_revenue_sum_of_squares
    from campaign_sends_attributed
    group by {{ group_columns | join(', ') }}
),

group_rates as (
    select
        *,
        cast(treated_responder_count as {{ double }}) / nullif(treated_customer_count, 0) as treated_response_rate,
        cast(control_responder_count as {{ double }}) / nullif(control_customer_count, 0) as control_response_rate,
        cast(treated_revenue as {{ double }}) / nullif(treated_customer_count, 0) as treated_revenue_per_customer,
        cast(control_revenue as {{ double }}) / nullif(control_customer_count, 0) as control_revenue_per_customer,
        {% for group in ['treated', 'control'] -%}
        -- sample variance of revenue per customer (non-responders at 0), (sum of squares - sum^2 / n) / (n - 1),
        -- kept from going below 0 by rounding
        case when {{ group }}_customer_count > 1 then greatest(
            (
                cast({{ group }}_revenue_sum_of_squares as {{ double }})
                - cast({{ group }}_revenue as {{ double }}) * cast({{ group }}_revenue as {{ double }})
                / {{ group }}_customer_count
            ) / ({{ group }}_customer_count - 1),
            0
        ) end as {{ group }}_revenue_variance,
        {% endfor -%}
        treated_customer_count >= {{ min_group_customers }}
            and control_customer_count >= {{ min_group_customers }} as has_enough_customers
    from group_counts
),

group_uplifts as (
    select
        *,
        case when has_enough_customers then treated_response_rate - control_response_rate end
            as response_rate_uplift,
        case when has_enough_customers then sqrt(
            treated_response_rate * (1 - treated_response_rate) / treated_customer_count
            + control_response_rate * (1 - control_response_rate) / control_customer_count
        ) end as response_rate_uplift_standard_error,
        case when has_enough_customers then treated_revenue_per_customer - control_revenue_per_customer end
            as revenue_per_customer_uplift,
        -- null when a group of one customer has no sample variance
        case when has_enough_customers then sqrt(
            treated_revenue_variance / treated_customer_count + control_revenue_variance / control_customer_count
        ) end as revenue_per_customer_uplift_standard_error
    from group_rates
),

results as (
    select
        ----------  group
        {% for column in group_columns -%}
        group_uplifts.{{ column }},
        {% endfor %}
        ----------  campaign
        campaigns.channel,
        campaigns.first_sent_at,
        campaigns.last_sent_at,
        campaigns.is_attribution_window_complete,

        ----------  groups
        group_uplifts.treated_customer_count,
        group_uplifts.control_customer_count,
        group_uplifts.has_enough_customers,

        ----------  responses
        group_uplifts.treated_responder_count,
        group_uplifts.control_responder_count,
        group_uplifts.treated_response_rate,
        group_uplifts.control_response_rate,
        group_uplifts.response_rate_uplift,
        group_uplifts.response_rate_uplift
            - {{ z }} * group_uplifts.response_rate_uplift_standard_error as response_rate_uplift_lower_bound,
        group_uplifts.response_rate_uplift
            + {{ z }} * group_uplifts.response_rate_uplift_standard_error as response_rate_uplift_upper_bound,

        ----------  revenue
        group_uplifts.treated_revenue,
        group_uplifts.control_revenue,
        group_uplifts.treated_revenue_per_customer,
        group_uplifts.control_revenue_per_customer,
        group_uplifts.revenue_per_customer_uplift,
        group_uplifts.revenue_per_customer_uplift
            - {{ z }} * group_uplifts.revenue_per_customer_uplift_standard_error
            as revenue_per_customer_uplift_lower_bound,
        group_uplifts.revenue_per_customer_uplift
            + {{ z }} * group_uplifts.revenue_per_customer_uplift_standard_error
            as revenue_per_customer_uplift_upper_bound,
        group_uplifts.revenue_per_customer_uplift * group_uplifts.treated_customer_count as incremental_revenue,

        ----------  settings and date
        cast({{ var('campaign_confidence_level') }} as {{ double }}) as confidence_level,
        {{ date_literal(as_of_date()) }} as as_of_date

    from group_uplifts
    inner join campaigns
        on group_uplifts.campaign_id = campaigns.campaign_id
)

select * from results
{%- endmacro %}
