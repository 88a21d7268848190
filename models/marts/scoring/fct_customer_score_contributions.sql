-- What each criterion of the composite score gives each buyer (macro score_criteria: seed score_criteria, or
-- the R, F and M scores weighted by `composite_weights` while the seed is empty): the raw value, its normalised
-- value (0 = worst, 1 = best), the weight and the points, 100 x weight x normalised value / total weight. A
-- buyer's points add up to their composite score (fct_customer_scores). Prospects have no composite score.
{%- set criteria = score_criteria(ref('score_criteria')) %}
{%- set total_weight = criteria | map(attribute='weight') | sum %}
{#- the relations the criteria read besides the customer summary, by the name their SQL gives them -#}
{%- set relations = {
    'rfm_scores': 'fct_customer_rfm_scores',
    'lead_scores': 'fct_lead_scores',
    'churn_predictions': 'fct_customer_churn_predictions',
    'value_predictions': 'fct_customer_value_predictions',
    'customer_attributes': 'stg_shop__customer_attributes',
} %}
{%- set joined = [] %}
{%- for criterion in criteria %}
{%- set relation = criterion.expression.split('.')[0] %}
{%- if relation in relations and relation not in joined %}{% do joined.append(relation) %}{% endif %}
{%- endfor %}

-- a criterion may read any of them, which the seed says only when the model runs
-- depends_on: {{ ref('fct_customer_rfm_scores') }}, {{ ref('fct_lead_scores') }}
-- depends_on: {{ ref('fct_customer_churn_predictions') }}, {{ ref('fct_customer_value_predictions') }}
-- depends_on: {{ ref('stg_shop__customer_attributes') }}
with

customers as (
    select * from {{ ref('int_customers_summarized') }}
),
{% for relation in joined %}
{{ relation }} as (
    select * from {{ ref(relations[relation]) }}
),
{% endfor %}
-- one column per criterion, true and false as 1 and 0
criterion_values as (
    select
        {%- for criterion in criteria %}
        {%- if criterion.kind == 'boolean' %}
        case
            when {{ criterion.expression }} then cast(1 as {{ type_double() }})
            when not {{ criterion.expression }} then cast(0 as {{ type_double() }})
        end as criterion_{{ loop.index }}_value,
        {%- else %}
        cast({{ criterion.expression }} as {{ type_double() }}) as criterion_{{ loop.index }}_value,
        {%- endif %}
        {%- endfor %}
        customers.customer_id,
        customers.as_of_date
    from customers
    {% for relation in joined -%}
    left join {{ relation }}
        on customers.customer_id = {{ relation }}.customer_id
    {% endfor -%}
    where customers.has_purchased
),

normalised as (
    {{ criteria_normalised(criteria, 'criterion_values', ['customer_id', 'as_of_date']) }}
),

-- points in exact decimals, so that a buyer's points add up to the same composite whatever order a
-- warehouse sums them in
contributions as (
    select
        customer_id,
        as_of_date,
        criterion,
        criterion_label,
        raw_value,
        normalised_value,
        weight,
        cast(
            100 * cast(weight as {{ type_double() }}) * normalised_value / {{ total_weight or 1 }} as decimal(24, 12)
        ) as points,
        is_from_score_criteria
    from normalised
)

select * from contributions
