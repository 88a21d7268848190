{% macro composite_weights() %}
    {#- Returns the validated composite score weights, keyed recency, frequency, monetary. -#}
    {%- set components = ['recency', 'frequency', 'monetary'] -%}
    {%- set weights = var('composite_weights') -%}
    {%- if weights is not mapping or (weights.keys() | sort) != (components | sort) -%}
        {{ exceptions.raise_compiler_error(
            "var 'composite_weights' must map exactly recency, frequency and monetary to numbers, got " ~ (weights | tojson)
        ) }}
    {%- endif -%}
    {%- for component in components -%}
        {%- set weight = weights[component] -%}
        {%- if weight is not number or weight is boolean or weight < 0 -%}
            {{ exceptions.raise_compiler_error(
                "var 'composite_weights': weight of " ~ component ~ " must be a number >= 0, got " ~ (weight | tojson)
            ) }}
        {%- endif -%}
    {%- endfor -%}
    {%- set total = weights.values() | sum -%}
    {%- if total <= 0 -%}
        {{ exceptions.raise_compiler_error(
            "var 'composite_weights': at least one of recency, frequency and monetary needs a weight above 0"
        ) }}
    {%- endif -%}
    {{- return(weights) -}}
{% endmacro %}
