{% macro rfm_tie_policy() %}
    {#- How R, F and M scores treat customers with equal values; see fct_customer_rfm_scores. -#}
    {%- set policies = ['ties_share_score', 'strict_ntile'] -%}
    {%- set policy = var('rfm_tie_policy') -%}
    {%- if policy not in policies -%}
        {{ exceptions.raise_compiler_error(
            "var 'rfm_tie_policy' must be one of " ~ (policies | join(', ')) ~ ", got " ~ (policy | tojson)
        ) }}
    {%- endif -%}
    {{- return(policy) -}}
{% endmacro %}
