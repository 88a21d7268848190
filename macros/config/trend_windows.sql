{% macro trend_windows() %}
    {#- The two windows segment trends compare, as ISO dates (both ends included): the current one, the
        'trend_window_days' days ending on the as-of date, and the prior one, as long, just before it. -#}
    {%- set window_days = scorehouse.numeric_var('trend_window_days', 1, 3650, whole_number=true) -%}
    {%- set as_of = modules.datetime.date.fromisoformat(scorehouse.as_of_date()) -%}
    {%- set one_day = modules.datetime.timedelta(days=1) -%}
    {%- set current_start = as_of - (window_days - 1) * one_day -%}
    {{- return({
        'current_start_date': current_start.isoformat(),
        'prior_start_date': (current_start - window_days * one_day).isoformat(),
        'prior_end_date': (current_start - one_day).isoformat(),
    }) -}}
{% endmacro %}
