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

latest_coefficient_count as (
    select count(*) as coefficient_count from latest_coefficients
),

-- one row of parameters, feature by feature; none when the latest version was fitted on another feature
-- list than the var's (changed since) or another transform than the ln(1 + value) below: it scores nobody
parameters as (
    select
        max(model_version) as churn_model_version,
        {%- for feature in features %}
        max(case when feature_name = '{{ feature }}' then feature_mean end) as {{ feature }}_mean,
        max(case when feature_name = '{{ feature }}' then feature_scale end) as {{ feature }}_scale,
        max(case when feature_name = '{{ feature }}' then coefficient end) as {{ feature }}_coefficient,
        {%- endfor %}
        max(intercept) as intercept
    from latest_coefficients
    where feature_name in ('{{ features | join("', '") }}')
        and feature_transform = 'log1p'
    having count(*) = {{ features | length }}
        and count(*) = (select latest_coefficient_count.coefficient_count from latest_coefficient_count)
),

-- summed term by term in a fixed order, so every run and warehouse gives the same bits; every features row
-- stays, with a null predictor for a non-buyer (and for everyone when no parameters are usable), so the
-- predictions need no join back to the features
linear_predictors as (
    select
        customer_features.customer_id,
        customer_features.cutoff_role,
        customer_features.cutoff_date,
        customer_features.has_purchased,
        customer_features.is_churned,
        customer_features.has_purchased_after,
        customer_features.revenue_after,
        parameters.churn_model_version,
        parameters.intercept
        {%- for feature in features %}
        + (
            parameters.{{ feature }}_coefficient
            * (ln(1 + cast(customer_features.{{ feature }} as {{ type_double() }})) - parameters.{{ feature }}_mean)
            / parameters.{{ feature }}_scale
        )
        {%- endfor %} as linear_predictor
    from customer_features
    left join parameters
        on customer_features.has_purchased
),

probabilities as (
    select
        customer_id,
        cutoff_role,
        cutoff_date,
        has_purchased,
        is_churned,
        has_purchased_after,
        revenue_after,
        churn_model_version,
        -- the logistic through exp of a value in [-700, 0]: never overflows, and never underflows to an
        -- error (PostgreSQL raises one when exp's result rounds to zero); greatest() skips nulls, so a
        -- null predictor is caught first
        case
            when linear_predictor is null then null
            when linear_predictor >= 0 then 1 / (1 + exp(greatest(-linear_predictor, -700)))
            else exp(greatest(linear_predictor, -700)) / (1 + exp(greatest(linear_predictor, -700)))
        end as churn_probability
    from linear_predictors
),

-- decile 1 holds the buyers most likely to churn; equal probabilities split by customer_id. Rows without a
-- probability are ranked apart and get no decile.
predictions as (
    select
        customer_id,
        cutoff_role,
        cutoff_date,
        has_purchased,
        churn_model_version,
        churn_probability,
        case when churn_probability is not null then ntile(10) over probability_order end as churn_decile,
        is_churned,
        has_purchased_after,
        revenue_after
    from probabilities
    window probability_order as (
        partition by cutoff_role, churn_probability is null
        order by churn_probability desc, customer_id asc
    )
)

select * from predictions
