-- The composite's criteria at the training and validation cutoffs, from data up to each cutoff only: one row
-- per buyer at the cutoff and criterion whose value the warehouse keeps at past cutoffs (macro score_criteria:
-- purchase facts, event counts, tenure and the R, F and M scores; not NPS, per-type event counts, lead
-- scores, predictions or customer attributes), normalised among the buyers at that cutoff as
-- fct_customer_score_contributions normalises them at the as-of date, with what the buyer did in the horizon
-- after it. The score weight fit learns at the training cutoff; fct_score_weight_review compares weights at
-- the validation cutoff.
{%- set criteria = score_criteria(ref('score_criteria')) | selectattr('cutoff_expression') | list %}
{%- set cutoff_roles = ['training', 'validation'] %}

with

buyers_at_cutoffs as (
    select * from {{ ref('int_customer_features_at_cutoffs') }}
    where has_purchased
),

rfm_scores_at_cutoffs as (
    select * from {{ ref('int_rfm_scores_at_cutoffs') }}
),

{% for cutoff_role in cutoff_roles %}
{{ cutoff_role }}_buyers as (
    select * from buyers_at_cutoffs
    where cutoff_role = '{{ cutoff_role }}'
),

{{ cutoff_role }}_values as (
    select
        {%- for criterion in criteria %}
        cast({{ criterion.cutoff_expression }} as {{ type_double() }}) as criterion_{{ loop.index }}_value,
        {%- endfor %}
        features.customer_id,
        features.cutoff_role,
        features.cutoff_date,
        features.is_churned,
        features.revenue_after
    from {{ cutoff_role }}_buyers as features
    inner join rfm_scores_at_cutoffs as rfm_scores
        on features.customer_id = rfm_scores.customer_id
        and features.cutoff_role = rfm_scores.cutoff_role
),

{{ cutoff_role }}_normalised as (
    {{ criteria_normalised(
        criteria, cutoff_role ~ '_values', ['customer_id', 'cutoff_role', 'cutoff_date', 'is_churned', 'revenue_after']
    ) }}
),

{% endfor %}
criteria_at_cutoffs as (
    {%- for cutoff_role in cutoff_roles %}
    select * from {{ cutoff_role }}_normalised
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
)

select * from criteria_at_cutoffs
