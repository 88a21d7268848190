{% macro purchase_window_start_date() %}
    {#- First day of the frequency/monetary window: 'lookback_days' days ending on the as-of date. -#}
    {%- set lookback_days = scorehouse.numeric_var('lookback_days', 1, 36500, whole_number=true) -%}
    {%- set as_of = modules.datetime.date.fromisoformat(scorehouse.as_of_date()) -%}
    {{- return((as_of - modules.datetime.timedelta(days=lookback_days - 1)).isoformat()) -}}
{% endmacro %}
