{% macro validate_vars() %}
    {#- Raises a compiler error naming the first var with an invalid value. -#}
    {%- do scorehouse.as_of_date() -%}
    {%- do scorehouse.purchase_window_start_date() -%}
    {%- do scorehouse.identity_reconciliation() -%}
    {%- do scorehouse.identity_email_provider_rules() -%}
    {%- do scorehouse.numeric_var('rfm_bucket_count', 2, 100, whole_number=true) -%}
    {%- do scorehouse.rfm_tie_policy() -%}
    {%- do scorehouse.rfm_cut_point_dimensions() -%}
    {%- do scorehouse.composite_weights() -%}
    {%- do scorehouse.numeric_var('vip_top_percent', 0, 100) -%}
    {%- do scorehouse.numeric_var('high_composite_min_score', 0, 100) -%}
    {%- do scorehouse.numeric_var('nps_answer_window_days', 1, 36500, whole_number=true) -%}
    {%- do scorehouse.cross_sell_settings() -%}
    {%- do scorehouse.trend_windows() -%}
    {%- do scorehouse.numeric_var('migration_snapshot_count', 2, 100, whole_number=true) -%}
    {%- do scorehouse.numeric_var('psi_warning_threshold', 0, 100) -%}
    {%- do scorehouse.numeric_var('lead_qualifying_points', 0, 1000000) -%}
    {%- do scorehouse.numeric_var('lead_behaviour_window_days', 1, 36500, whole_number=true) -%}
    {%- do scorehouse.numeric_var('campaign_attribution_days', 1, 3650, whole_number=true) -%}
    {%- do scorehouse.campaign_confidence_z() -%}
    {%- do scorehouse.numeric_var('campaign_min_group_customers', 1, 1000000000, whole_number=true) -%}
    {%- do scorehouse.numeric_var('best_channel_min_sends', 1, 1000000000, whole_number=true) -%}
    {%- do scorehouse.prediction_cutoffs() -%}
    {%- do scorehouse.churn_model_features() -%}
    {%- do scorehouse.fairness_attributes() -%}
    {%- do scorehouse.numeric_var('fairness_min_group_customers', 1, 1000000000, whole_number=true) -%}
    {%- do scorehouse.numeric_var('disparate_impact_threshold', 0, 1) -%}
    {%- do scorehouse.numeric_var('min_score_lift', 0, 1000000) -%}
    {%- do scorehouse.numeric_var('composite_score_bin_width', 1, 100, whole_number=true) -%}
    {%- do scorehouse.numeric_var('churn_model_min_training_customers', 2, 1000000000, whole_number=true) -%}
    {%- do scorehouse.numeric_var('value_discount_rate_yearly', 0, 1) -%}
    {%- do scorehouse.numeric_var('value_min_repeat_customers', 1, 1000000000, whole_number=true) -%}
    {%- do scorehouse.model_fit_max_customers() -%}
    {%- do scorehouse.segment_flags_source() -%}
    {%- do scorehouse.weight_review_outcome() -%}
    {%- do scorehouse.numeric_var('weight_review_min_customers', 2, 1000000000, whole_number=true) -%}
    {%- do scorehouse.marketing_consent_when_missing() -%}
    {%- do scorehouse.lookalike_seed() -%}
    {%- do scorehouse.numeric_var('lookalike_engagement_days', 1, 36500, whole_number=true) -%}
    {%- do scorehouse.numeric_var('lookalike_validation_min_days', 1, 36500, whole_number=true) -%}
    {%- do scorehouse.numeric_var('churn_risk_top_deciles', 1, 10, whole_number=true) -%}
    {%- do scorehouse.segment_share_bands() -%}
    {#- read by the refresh flow's quality gates, validated here with the rest before anything is loaded -#}
    {%- do scorehouse.numeric_var('freshness_sla_hours', 1, 1000000) -%}
    {%- do scorehouse.max_order_amount() -%}
    {%- do scorehouse.numeric_var('raw_row_defect_tolerance', 0, 1) -%}
{% endmacro %}
