-- The segment of every customer: a named R x FM segment from the segment map (prospect without a
-- purchase; a buyer without a purchase in the lookback window on the lowest recency row), the VIP flag and
-- the churn-risk flag. By the RFM rules, VIP = top composite scores and churn risk = segments marked in the
-- seed; with `segment_flags_source: predictions_when_validated`, each flag comes
-- from its prediction (VIP: top predicted value; churn risk: top churn deciles) while that score passes its
-- validation lift in fct_score_validation (the churn model also the RFM composite's AUC), and from the RFM
-- rule otherwise (no model, a skipped or failed fit, or a score that does not tell churners apart).
-- Buyers with a high composite whose latest NPS answer is recent are ambassadors when they promote (9-10)
-- and detractors to save when they detract (0-6); the two criteria giving most points explain the composite.
{%- set vip_top_percent = numeric_var('vip_top_percent', 0, 100) %}
{%- set churn_risk_top_deciles = numeric_var('churn_risk_top_deciles', 1, 10, whole_number=true) %}
{%- set predictions_allowed = segment_flags_source() == 'predictions_when_validated' %}
{%- set high_composite_min_score = numeric_var('high_composite_min_score', 0, 100) %}
{%- set nps_answer_window_days = numeric_var('nps_answer_window_days', 1, 36500, whole_number=true) %}
{#- an answer counts when given less than nps_answer_window_days before the as-of date -#}
{%- set nps_window_opens_after = (
    modules.datetime.date.fromisoformat(as_of_date()) - modules.datetime.timedelta(days=nps_answer_window_days)
).isoformat() %}

with

customer_scores as (
    select * from {{ ref('fct_customer_scores') }}
),

segment_rfm_map as (
    select * from {{ ref('segment_rfm_map') }}
),

segment_definitions as (
    select * from {{ ref('segment_definitions') }}
),

score_validation as (
    select * from {{ ref('fct_score_validation') }}
),

customer_churn_predictions as (
    select * from {{ ref('fct_customer_churn_predictions') }}
),

customer_value_predictions as (
    select * from {{ ref('fct_customer_value_predictions') }}
),

score_contributions as (
    select * from {{ ref('fct_customer_score_contributions') }}
),

customers as (
    select * from {{ ref('int_customers_summarized') }}
),

-- a criterion that gave no points explains nothing
contributions_ranked as (
    select
        customer_id,
        {{ dbt.concat([
            'criterion_label', "' ('", 'cast(cast(points as decimal(10, 1)) as ' ~ dbt.type_string() ~ ')', "' points)'"
        ]) }} as contribution_text,
        row_number() over (
            partition by customer_id
            order by points desc, criterion asc
        ) as contribution_rank
    from score_contributions
    where points > 0
),

top_contributions as (
    select
        customer_id,
        max(case when contribution_rank = 1 then contribution_text end) as top_contributing_criterion,
        max(case when contribution_rank = 2 then contribution_text end) as second_contributing_criterion
    from contributions_ranked
    where contribution_rank <= 2
    group by customer_id
),

-- the latest NPS answer, when given in the window up to the as-of date
recent_nps_answers as (
    select
        customer_id,
        latest_nps_score
    from customers
    where
        latest_nps_responded_at is not null
        and cast(latest_nps_responded_at as date) > {{ date_literal(nps_window_opens_after) }}
),

-- a buyer with no purchase in the lookback window (frequency 0) sits on the lowest recency row, so that no
-- segment whose description calls its members recent or active can hold them, whatever their recency rank
on_segment_grid as (
    select
        customer_id,
        case
            when frequency = 0 then 1
            else {{ segment_grid_score('recency_score') }}
        end as segment_recency_score,
        {{ segment_grid_score('frequency_score') }} as segment_frequency_score,
        {{ segment_grid_score('monetary_score') }} as segment_monetary_score
    from customer_scores
    where has_purchased
),

with_frequency_monetary as (
    select
        *,
        -- mean of F and M on the grid, halves rounded up
        cast(floor((segment_frequency_score + segment_monetary_score) / 2.0 + 0.5) as {{ dbt.type_int() }})
            as segment_frequency_monetary_score
    from on_segment_grid
),

-- VIP is exactly the top vip_top_percent of the buyers, so equal composites at the cut-off are split: the
-- higher spend in the window first, then customer_id
composite_ranked as (
    select
        customer_id,
        row_number() over (
            order by composite_score desc, monetary desc, customer_id asc
        ) as composite_rank,
        count(*) over () as scored_customer_count
    from customer_scores
    where has_purchased
),

-- equal predicted values at the cut-off are split by customer_id, for the same exact share
predicted_value_ranked as (
    select
        customer_id,
        row_number() over (
            order by predicted_value desc, customer_id asc
        ) as predicted_value_rank,
        count(*) over () as valued_customer_count
    from customer_value_predictions
    where predicted_value is not null
),

-- the scores allowed to set a flag: asked for by the var, and ranking churners better than the RFM composite
-- whose rule they would replace, at the validation cutoff of this run. Not the seed's top ÷ bottom decile
-- lift: where most buyers churn (78-87 % in retail) no bottom decile churns under a third, so a lift of 3
-- is out of reach for any score; it stays a warning (data-tests/score_lift_reaches_minimum.sql).
validated_scores as (
    select distinct score_name
    from score_validation
    where {{ 'true' if predictions_allowed else 'false' }}
        and auc_gain_over_rfm_composite > 0
),

-- one row whatever validated_scores holds (an aggregate without group by)
flag_sources as (
    select
        case
            when max(case when score_name = 'predicted_value' then 1 else 0 end) = 1 then 'predictions'
            else 'rfm_rules'
        end as vip_flag_source,
        case
            when max(case when score_name = 'churn_probability' then 1 else 0 end) = 1 then 'predictions'
            else 'rfm_rules'
        end as churn_risk_flag_source
    from validated_scores
),

segmented as (
    select
        customer_scores.customer_id,
        customer_scores.as_of_date,
        -- a purchaser outside every map rectangle keeps a null segment, which the not_null test reports
        case
            when customer_scores.has_purchased then segment_rfm_map.segment_name
            else 'prospect'
        end as segment_name,
        customer_scores.recency_score,
        customer_scores.frequency_score,
        customer_scores.monetary_score,
        customer_scores.composite_score,
        with_frequency_monetary.segment_recency_score,
        with_frequency_monetary.segment_frequency_monetary_score,
        coalesce(
            composite_ranked.composite_rank * 100 <= {{ vip_top_percent }} * composite_ranked.scored_customer_count,
            false
        ) as is_rfm_vip,
        coalesce(
            predicted_value_ranked.predicted_value_rank * 100
            <= {{ vip_top_percent }} * predicted_value_ranked.valued_customer_count,
            false
        ) as is_predicted_vip,
        coalesce(customer_churn_predictions.churn_decile <= {{ churn_risk_top_deciles }}, false)
            as is_predicted_churn_risk
    from customer_scores
    left join with_frequency_monetary
        on customer_scores.customer_id = with_frequency_monetary.customer_id
    left join segment_rfm_map
        on {{ segment_rectangle_contains(
            'segment_rfm_map',
            'with_frequency_monetary.segment_recency_score',
            'with_frequency_monetary.segment_frequency_monetary_score',
        ) }}
    left join composite_ranked
        on customer_scores.customer_id = composite_ranked.customer_id
    left join predicted_value_ranked
        on customer_scores.customer_id = predicted_value_ranked.customer_id
    left join customer_churn_predictions
        on customer_scores.customer_id = customer_churn_predictions.customer_id
),

flagged as (
    select
        segmented.customer_id,
        segmented.as_of_date,
        segmented.segment_name,
        segmented.recency_score,
        segmented.frequency_score,
        segmented.monetary_score,
        segmented.composite_score,
        segmented.segment_recency_score,
        segmented.segment_frequency_monetary_score,
        case
            when flag_sources.vip_flag_source = 'predictions' then segmented.is_predicted_vip
            else segmented.is_rfm_vip
        end as is_vip,
        case
            when flag_sources.churn_risk_flag_source = 'predictions' then segmented.is_predicted_churn_risk
            else segment_definitions.is_churn_risk
        end as is_churn_risk,
        flag_sources.vip_flag_source,
        flag_sources.churn_risk_flag_source,
        coalesce(
            segmented.composite_score >= {{ high_composite_min_score }} and recent_nps_answers.latest_nps_score >= 9,
            false
        ) as is_ambassador,
        coalesce(
            segmented.composite_score >= {{ high_composite_min_score }} and recent_nps_answers.latest_nps_score <= 6,
            false
        ) as is_detractor_to_save,
        top_contributions.top_contributing_criterion,
        top_contributions.second_contributing_criterion
    from segmented
    cross join flag_sources
    left join segment_definitions
        on segmented.segment_name = segment_definitions.segment_name
    left join recent_nps_answers
        on segmented.customer_id = recent_nps_answers.customer_id
    left join top_contributions
        on segmented.customer_id = top_contributions.customer_id
)

select * from flagged
