{% macro weight_review_outcome() %}
    {#- What the score weight review fits the weights to predict (flows/scorehouse/score_weights.py). -#}
    {%- set outcomes = ['churned', 'revenue'] -%}
    {%- set outcome = var('weight_review_outcome') -%}
    {%- if outcome not in outcomes -%}
        {{ exceptions.raise_compiler_error(
            "var 'weight_review_outcome' must be one of " ~ (outcomes | join(', ')) ~ ", got " ~ (outcome | tojson)
        ) }}
    {%- endif -%}
    {{- return(outcome) -}}
{% endmacro %}
