{% macro campaign_confidence_z() %}
    {#- The standard normal quantile z of the two-sided level in var 'campaign_confidence_level': an
        interval is estimate +- z x standard error. Jinja has no inverse normal, hence the fixed levels. -#}
    {%- set z_by_level = {
        0.8: 1.2815515655446004,
        0.9: 1.6448536269514722,
        0.95: 1.959963984540054,
        0.99: 2.5758293035489004,
    } -%}
    {%- set level = var('campaign_confidence_level') -%}
    {%- if level is not number or level is boolean or level not in z_by_level -%}
        {{ exceptions.raise_compiler_error(
            "var 'campaign_confidence_level' must be one of 0.8, 0.9, 0.95, 0.99, got " ~ (level | tojson)
        ) }}
    {%- endif -%}
    {{- return(z_by_level[level]) -}}
{% endmacro %}
