-- Churn probability of every buyer at each prediction cutoff from the latest churn model version, computed
-- as scikit-learn's predict_proba does: logistic of the intercept plus the coefficients times the
-- standardised ln(1 + feature).
{{ config(tags=['uses_fitted_models']) }}
{%- set features = scorehouse.churn_model_features() %}

with

customer_features as (
    select * from {{ ref('int_customer_features_at_cutoffs') }}
),

churn_model_versions as (
    select * from {{ ref('stg_fitted_models__churn_model_versions') }}
),

latest_version as (
    select max(model_version) as model_version
    from churn_model_versions
),

-- the latest version's parameters, when that fit succeeded: a skipped fit leaves probabilities empty
latest_coefficients as (
    select churn_model_versions.*
    from churn_model_versions
    inner join latest_version
        on churn_model_versions.model_version = latest_version.model_version
    where churn_model_versions.status = 'fitted'
),

-- a version fitted on another feature list than the var's (changed since), or on other transforms than
-- the ln(1 + value) below, scores nobody
usable_coefficients as (
    select latest_coefficients.*
    from latest_coefficients
    where (select count(*) from latest_coefficients) = {{ features | length }}
        and latest_coefficients.feature_name in ('{{ features | join("', '") }}')
        and latest_coefficients.feature_transform = 'log1p'
),

feature_values as (
    {%- for feature in features %}
    select
        customer_id,
        cutoff_role,
        '{{ feature }}' as feature_name,
        ln(1 + cast({{ feature }} as {{ type_double() }})) as feature_value
    from customer_features
    where has_purchased
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

linear_predictors as (
    select
        feature_values.customer_id,
        feature_values.cutoff_role,
        max(usable_coefficients.model_version) as churn_model_version,
        max(usable_coefficients.intercept) + sum(
            usable_coefficients.coefficient
            * (feature_values.feature_value - usable_coefficients.feature_mean) / usable_coefficients.feature_scale
        ) as linear_predictor
    from feature_values
    inner join usable_coefficients
        on feature_values.feature_name = usable_coefficients.feature_name
    group by feature_values.customer_id, feature_values.cutoff_role
),

probabilities as (
    select
        customer_id,
        cutoff_role,
        churn_model_version,
        -- the logistic through exp of a value in [-700, 0]: never overflows, and never underflows to an
        -- error (PostgreSQL raises one when exp's result rounds to zero)
        case
            when linear_predictor >= 0 then 1 / (1 + exp(greatest(-linear_predictor, -700)))
            else exp(greatest(linear_predictor, -700)) / (1 + exp(greatest(linear_predictor, -700)))
        end as churn_probability
    from linear_predictors
),

-- decile 1 holds the buyers most likely to churn; equal probabilities split by customer_id
deciles as (
    select
        *,
        ntile(10) over (
            partition by cutoff_role
            order by churn_probability desc, customer_id
        ) as churn_decile
    from probabilities
),

predictions_joined as (
    select
        customer_features.customer_id,
        customer_features.cutoff_role,
        customer_features.cutoff_date,
        customer_features.has_purchased,
        deciles.churn_model_version,
        deciles.churn_probability,
        deciles.churn_decile,
        customer_features.is_churned,
        customer_features.has_purchased_after,
        customer_features.revenue_after
    from customer_features
    left join deciles
        on customer_features.customer_id = deciles.customer_id
        and customer_features.cutoff_role = deciles.cutoff_role
)

select * from predictions_joined
