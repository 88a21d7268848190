-- The composite's weights reviewed against what customers did: one row per criterion (macro score_criteria)
-- with its current weight and the weight the latest score weight review suggests (flows/scorehouse/score_weights.py,
-- fitted at the training cutoff to predict var `weight_review_outcome`), and how the composite ranks the buyers
-- at the validation cutoff under each weighting: AUC and top ÷ bottom decile lift for churn and the share of the
-- churners and of the horizon's revenue that its riskiest and best deciles hold. The suggestion is never
-- applied. A criterion without a value at past cutoffs keeps its weight and is left out of both composites.
{%- set criteria = score_criteria(ref('score_criteria')) %}
{%- set decile_count = 10 %}

with

score_weight_versions as (
    select * from {{ ref('stg_fitted_models__score_weight_versions') }}
),

score_validation as (
    select * from {{ ref('fct_score_validation') }}
),

scores_at_validation_cutoff as (
    select * from {{ ref('int_scores_at_validation_cutoff') }}
),

customer_features_at_cutoffs as (
    select * from {{ ref('int_customer_features_at_cutoffs') }}
    where cutoff_role = 'validation'
),

latest_weights as (
    select * from score_weight_versions
    where model_version = (select max(model_version) from score_weight_versions)
),

-- one row whatever the version holds (an aggregate without group by)
latest_fit as (
    select
        max(model_version) as weight_review_version,
        max(outcome_name) as outcome_name,
        max(status) as fit_status,
        max(message) as fit_message,
        max(training_cutoff_date) as training_cutoff_date
    from latest_weights
),

current_criteria as (
    {%- for criterion in criteria %}
    select
        '{{ criterion.criterion }}' as criterion,
        '{{ criterion.label }}' as criterion_label,
        cast('{{ criterion.weight }}' as decimal(18, 6)) as current_weight,
        {{ 'true' if criterion.cutoff_expression else 'false' }} as is_reviewed,
        {{ 'true' if criterion.from_seed else 'false' }} as is_from_score_criteria
    {% if not loop.last %}union all{% endif %}
    {%- else %}
    -- parse time: no criteria are read yet
    select
        cast(null as {{ dbt.type_string() }}) as criterion,
        cast(null as {{ dbt.type_string() }}) as criterion_label,
        cast(null as decimal(18, 6)) as current_weight,
        false as is_reviewed,
        false as is_from_score_criteria
    from latest_fit
    where false
    {%- endfor %}
),

-- the two weightings as fct_score_validation names them: the current one is the RFM composite while seed
-- score_criteria is empty
weightings as (
    select distinct
        'current' as weighting,
        case when is_from_score_criteria then 'composite_current_weights' else 'rfm_composite' end as score_name
    from current_criteria
    union all
    select
        'suggested' as weighting,
        'composite_suggested_weights' as score_name
),

churn_metrics as (
    select
        weightings.weighting,
        max(score_validation.validation_cutoff_date) as validation_cutoff_date,
        max(score_validation.auc) as auc,
        max(score_validation.lift) as lift,
        max(case when score_validation.decile = 1 then score_validation.cumulative_outcome_capture end)
            as churn_capture_rate
    from weightings
    inner join score_validation
        on weightings.score_name = score_validation.score_name
    group by weightings.weighting
),

-- the buyers in the top decile of each composite (equal scores share a decile) and their horizon revenue
revenue_deciles as (
    select
        weightings.weighting,
        customer_features_at_cutoffs.revenue_after,
        {{ tie_sharing_bucket('scores_at_validation_cutoff.score_value desc', decile_count, 'weightings.weighting') }}
            as decile
    from weightings
    inner join scores_at_validation_cutoff
        on weightings.score_name = scores_at_validation_cutoff.score_name
    inner join customer_features_at_cutoffs
        on scores_at_validation_cutoff.customer_id = customer_features_at_cutoffs.customer_id
),

revenue_metrics as (
    select
        weighting,
        cast(sum(case when decile = 1 then revenue_after else 0 end) as {{ type_double() }})
            / nullif(cast(sum(revenue_after) as {{ type_double() }}), 0) as revenue_capture_rate
    from revenue_deciles
    group by weighting
),

reviewed as (
    select
        current_criteria.criterion,
        current_criteria.criterion_label,
        current_criteria.current_weight,
        case
            when latest_fit.fit_status <> 'fitted' then null
            when current_criteria.is_reviewed then latest_weights.suggested_weight
            else cast(current_criteria.current_weight as {{ type_double() }})
        end as suggested_weight,
        current_criteria.is_reviewed,
        latest_fit.outcome_name,
        latest_fit.fit_status,
        latest_fit.fit_message,
        latest_fit.weight_review_version,
        latest_fit.training_cutoff_date,
        current_churn.validation_cutoff_date,
        current_churn.auc as current_auc,
        suggested_churn.auc as suggested_auc,
        current_churn.lift as current_lift,
        suggested_churn.lift as suggested_lift,
        current_churn.churn_capture_rate as current_churn_capture_rate,
        suggested_churn.churn_capture_rate as suggested_churn_capture_rate,
        current_revenue.revenue_capture_rate as current_revenue_capture_rate,
        suggested_revenue.revenue_capture_rate as suggested_revenue_capture_rate
    from current_criteria
    cross join latest_fit
    left join latest_weights
        on current_criteria.criterion = latest_weights.criterion
    left join churn_metrics as current_churn
        on current_churn.weighting = 'current'
    left join churn_metrics as suggested_churn
        on suggested_churn.weighting = 'suggested'
    left join revenue_metrics as current_revenue
        on current_revenue.weighting = 'current'
    left join revenue_metrics as suggested_revenue
        on suggested_revenue.weighting = 'suggested'
)

select * from reviewed
