{% macro prediction_cutoffs() %}
    {#- The dates predictive scores are computed at, H = var 'prediction_horizon_days' apart: 'training'
        (A - 2H, the churn model learns from what happened in the H days after it), 'validation' (A - H,
        checked against the H days up to A) and 'scoring' (A, the as-of date, whose outcome is unknown).
        Each with its lookback window's first day and the last day of its outcome window (none for
        'scoring'), as ISO dates. -#}
    {%- set horizon_days = scorehouse.numeric_var('prediction_horizon_days', 1, 3650, whole_number=true) -%}
    {%- set lookback_days = scorehouse.numeric_var('lookback_days', 1, 36500, whole_number=true) -%}
    {%- set as_of = modules.datetime.date.fromisoformat(scorehouse.as_of_date()) -%}
    {%- set horizon = modules.datetime.timedelta(days=horizon_days) -%}
    {%- set cutoffs = [] -%}
    {%- for role, horizons_before_as_of in [('training', 2), ('validation', 1), ('scoring', 0)] -%}
        {%- set cutoff = as_of - horizon * horizons_before_as_of -%}
        {%- do cutoffs.append({
            'role': role,
            'cutoff_date': cutoff.isoformat(),
            'window_start_date': (cutoff - modules.datetime.timedelta(days=lookback_days - 1)).isoformat(),
            'outcome_end_date': (cutoff + horizon).isoformat() if horizons_before_as_of > 0 else none,
        }) -%}
    {%- endfor -%}
    {{- return(cutoffs) -}}
{% endmacro %}
