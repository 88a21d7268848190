-- Every lead scoring rule that fires for a customer as of the as-of date, with its points before and
-- after decay and after its group's cap. Attribute conditions come from the validated lead_scoring_rules
-- seed; behaviour rules join the seed on the event type.
{%- set as_of = date_literal(as_of_date()) %}
{%- set window_days = numeric_var('lead_behaviour_window_days', 1, 36500, whole_number=true) %}
{%- set attribute_rules = lead_scoring_rules(ref('lead_scoring_rules'), ref('lead_scoring_groups'))
    | selectattr('rule_type', 'equalto', 'attribute') | list %}

with

customers as (
    select * from {{ ref('int_customers_summarized') }}
),

events as (
    select * from {{ ref('int_events_reconciled') }}
),

orders as (
    select * from {{ ref('int_orders_reconciled') }}
),

lead_scoring_rules as (
    select * from {{ ref('lead_scoring_rules') }}
),

lead_scoring_groups as (
    select * from {{ ref('lead_scoring_groups') }}
),

rules_ordered as (
    select
        lead_scoring_rules.rule_id,
        lead_scoring_rules.rule_group,
        lead_scoring_rules.rule_type,
        lead_scoring_rules.attribute,
        lead_scoring_rules.points,
        coalesce(lead_scoring_rules.decay_per_day, 0) as decay_per_day,
        lead_scoring_rules.description as rule_description,
        lead_scoring_groups.max_points as group_max_points,
        -- a group's cap is filled in rule_id order, compared by code point so every warehouse agrees
        row_number() over (
            order by {{ code_point_sort_key('lead_scoring_rules.rule_id') }}
        ) as rule_order
    from lead_scoring_rules
    inner join lead_scoring_groups
        on lead_scoring_rules.rule_group = lead_scoring_groups.rule_group
),

behaviours as (
    select
        customer_id,
        event_type as behaviour,
        cast(occurred_at as date) as behaviour_date
    from events
    union all
    select
        customer_id,
        'purchase' as behaviour,
        ordered_date as behaviour_date
    from orders
    where is_purchase
),

behaviours_aged as (
    select
        customer_id,
        behaviour,
        {{ dbt.datediff('behaviour_date', as_of, 'day') }} as age_days
    from behaviours
    where behaviour_date <= {{ as_of }}
),

behaviours_in_window as (
    select * from behaviours_aged
    where age_days < {{ window_days }}
),

behaviour_rule_hits as (
    select
        behaviours_in_window.customer_id,
        rules_ordered.rule_id,
        count(*) as occurrence_count,
        sum(rules_ordered.points) as raw_points,
        -- each occurrence loses decay_per_day points per day of age, never going below 0
        sum(
            greatest(rules_ordered.points - rules_ordered.decay_per_day * behaviours_in_window.age_days, 0)
        ) as decayed_points
    from behaviours_in_window
    inner join rules_ordered
        on behaviours_in_window.behaviour = rules_ordered.attribute
        and rules_ordered.rule_type = 'behaviour'
    group by
        behaviours_in_window.customer_id,
        rules_ordered.rule_id
),

attribute_rule_matches as (
    {%- for rule in attribute_rules %}
    select
        customer_id,
        '{{ rule.rule_id }}' as rule_id
    from customers
    where {{ rule.condition }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- else %}
    -- no attribute rules: no matches, with the columns the rest expects
    select
        customer_id,
        cast(null as {{ dbt.type_string() }}) as rule_id
    from customers
    where 1 = 0
    {%- endfor %}
),

attribute_rule_hits as (
    select
        attribute_rule_matches.customer_id,
        rules_ordered.rule_id,
        1 as occurrence_count,
        rules_ordered.points as raw_points,
        rules_ordered.points as decayed_points
    from attribute_rule_matches
    inner join rules_ordered
        on attribute_rule_matches.rule_id = rules_ordered.rule_id
),

rule_hits as (
    select * from attribute_rule_hits
    union all
    select * from behaviour_rule_hits
),

with_group_points_before as (
    select
        rule_hits.customer_id,
        rules_ordered.rule_id,
        rules_ordered.rule_order,
        rules_ordered.rule_group,
        rules_ordered.rule_type,
        rules_ordered.rule_description,
        rules_ordered.group_max_points,
        rule_hits.occurrence_count,
        rule_hits.raw_points,
        rule_hits.decayed_points,
        -- points the customer already holds from the group's rules that come earlier in rule_id order
        coalesce(
            sum(rule_hits.decayed_points) over (
                partition by rule_hits.customer_id, rules_ordered.rule_group
                order by rules_ordered.rule_order
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) as group_points_before
    from rule_hits
    inner join rules_ordered
        on rule_hits.rule_id = rules_ordered.rule_id
),

capped as (
    select
        customer_id,
        {{ as_of }} as as_of_date,
        rule_id,
        rule_order,
        rule_group,
        rule_type,
        rule_description,
        cast(occurrence_count as {{ dbt.type_bigint() }}) as occurrence_count,
        {{ lead_points('raw_points') }} as raw_points,
        {{ lead_points('decayed_points') }} as decayed_points,
        {{ lead_points(
            'case when group_max_points is null then decayed_points
            else greatest(least(decayed_points, group_max_points - group_points_before), 0) end'
        ) }} as kept_points
    from with_group_points_before
)

select * from capped
