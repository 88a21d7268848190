-- The lead score of every customer known on the as-of date, prospects included: the points they keep from
-- the lead scoring rules, whether that reaches the qualifying threshold, and which rules gave them.
{%- set qualifying_points = numeric_var('lead_qualifying_points', 0, 1000000) %}

with

customers as (
    select * from {{ ref('int_customers_summarized') }}
),

rule_hits as (
    select * from {{ ref('fct_lead_score_rule_hits') }}
),

points_as_text as (
    select
        customer_id,
        rule_id,
        rule_order,
        kept_points,
        {{ lead_points_text('kept_points') }} as kept_points_text,
        {{ lead_points_text('decayed_points') }} as decayed_points_text,
        kept_points < decayed_points as is_capped
    from rule_hits
),

rule_hits_labelled as (
    select
        customer_id,
        rule_order,
        kept_points,
        -- e.g. "email_click: 6", or "page_view: 2 (capped from 3.50)" when the group's cap cut the rule
        case
            when is_capped
                then {{ dbt.concat([
                    'rule_id', "': '", 'kept_points_text', "' (capped from '", 'decayed_points_text', "')'",
                ]) }}
            else {{ dbt.concat(['rule_id', "': '", 'kept_points_text']) }}
        end as rule_label
    from points_as_text
),

customer_points as (
    select
        customer_id,
        sum(kept_points) as lead_score,
        count(*) as fired_rule_count,
        {{ dbt.listagg('rule_label', "'; '", 'order by rule_order') }} as fired_rules
    from rule_hits_labelled
    group by customer_id
),

scored as (
    select
        customers.customer_id,
        customers.as_of_date,
        customers.has_purchased,
        {{ lead_points('coalesce(customer_points.lead_score, 0)') }} as lead_score,
        coalesce(customer_points.lead_score, 0) >= {{ lead_points(qualifying_points) }} as is_qualified,
        cast(coalesce(customer_points.fired_rule_count, 0) as {{ dbt.type_bigint() }}) as fired_rule_count,
        customer_points.fired_rules
    from customers
    left join customer_points
        on customers.customer_id = customer_points.customer_id
)

select * from scored
