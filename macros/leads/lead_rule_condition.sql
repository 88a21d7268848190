{% macro lead_rule_condition(attribute, kind, operator, values) %}
    {#- SQL condition of a validated attribute rule (see lead_scoring_rules): `attribute operator value`, or
        `attribute in (values)`. A customer whose attribute is null matches no condition on it. -#}
    {%- set literals = [] -%}
    {%- for value in values -%}
        {%- do literals.append("'" ~ value ~ "'" if kind == 'text' else value) -%}
    {%- endfor -%}
    {%- if operator == 'in' -%}
        {{- return(attribute ~ ' in (' ~ (literals | join(', ')) ~ ')') -}}
    {%- endif -%}
    {{- return(attribute ~ ' ' ~ ('<>' if operator == '!=' else operator) ~ ' ' ~ literals[0]) -}}
{% endmacro %}
