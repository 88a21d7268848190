{% macro segment_flags_source() %}
    {#- Where dim_customer_segments takes its VIP and churn-risk flags from; see that model. -#}
    {%- set sources = ['rfm_rules', 'predictions_when_validated'] -%}
    {%- set source = var('segment_flags_source') -%}
    {%- if source not in sources -%}
        {{ exceptions.raise_compiler_error(
            "var 'segment_flags_source' must be one of " ~ (sources | join(', ')) ~ ", got " ~ (source | tojson)
        ) }}
    {%- endif -%}
    {{- return(source) -}}
{% endmacro %}
