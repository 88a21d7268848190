-- R, F and M scores of the buyers at the training and validation cutoffs, from data up to each cutoff only,
-- each cutoff's buyers ranked among themselves by the macro that ranks fct_customer_rfm_scores at the as-of
-- date: the score validation and the score weight review read them.
{%- set cutoff_roles = ['training', 'validation'] %}

with

buyers_at_cutoffs as (
    select * from {{ ref('int_customer_features_at_cutoffs') }}
    where has_purchased
),

{% for cutoff_role in cutoff_roles %}
{{ cutoff_role }}_buyers as (
    select * from buyers_at_cutoffs
    where cutoff_role = '{{ cutoff_role }}'
),

{%- for dimension in ['recency', 'frequency', 'monetary'] %}

{{ cutoff_role }}_{{ dimension }}_scored as (
    {{ rfm_dimension_scores(cutoff_role ~ '_buyers', dimension) }}
),
{%- endfor %}

{{ cutoff_role }}_rfm_scores as (
    select
        buyers.customer_id,
        buyers.cutoff_role,
        buyers.cutoff_date,
        recency_scored.recency_score,
        frequency_scored.frequency_score,
        monetary_scored.monetary_score
    from {{ cutoff_role }}_buyers as buyers
    inner join {{ cutoff_role }}_recency_scored as recency_scored
        on buyers.customer_id = recency_scored.customer_id
    inner join {{ cutoff_role }}_frequency_scored as frequency_scored
        on buyers.customer_id = frequency_scored.customer_id
    inner join {{ cutoff_role }}_monetary_scored as monetary_scored
        on buyers.customer_id = monetary_scored.customer_id
),

{% endfor %}
rfm_scores_at_cutoffs as (
    {%- for cutoff_role in cutoff_roles %}
    select * from {{ cutoff_role }}_rfm_scores
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
)

select * from rfm_scores_at_cutoffs
