{% macro churn_model_features() %}
    {#- The churn model's features (var 'churn_model_features'): a non-empty list, without repeats, of
        the feature columns of int_customer_features_at_cutoffs. Sensitive attributes are refused by name,
        so no score can discriminate on them even when a later version exposes them as columns. -#}
    {%- set feature_columns = [
        'recency_days', 'frequency', 'monetary', 'purchase_count', 'lifetime_revenue', 'average_order_value',
        'tenure_days', 'days_since_first_purchase', 'event_count', 'horizon_purchase_count', 'horizon_revenue',
        'prior_horizon_purchase_count', 'capped_recency_days', 'capped_days_since_first_purchase',
    ] -%}
    {%- set sensitive_attributes = ['gender', 'birth_year', 'age', 'age_band', 'country'] -%}
    {%- set features = var('churn_model_features') -%}
    {%- if features is string or features is not iterable or features is mapping or features | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "var 'churn_model_features' must be a non-empty list of feature columns, got " ~ (features | tojson)
        ) }}
    {%- endif -%}
    {%- for feature in features -%}
        {%- if feature in sensitive_attributes -%}
            {{ exceptions.raise_compiler_error(
                "var 'churn_model_features' must not use the sensitive attribute " ~ (feature | tojson)
                ~ "; remove it from the list"
            ) }}
        {%- elif feature not in feature_columns -%}
            {{ exceptions.raise_compiler_error(
                "var 'churn_model_features' names the unknown column " ~ (feature | tojson)
                ~ "; choose from " ~ feature_columns | join(', ')
            ) }}
        {%- elif features[:loop.index0].count(feature) -%}
            {{ exceptions.raise_compiler_error(
                "var 'churn_model_features' lists " ~ (feature | tojson) ~ " twice"
            ) }}
        {%- endif -%}
    {%- endfor -%}
    {{- return(features) -}}
{% endmacro %}
