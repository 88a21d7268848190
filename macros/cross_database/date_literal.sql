{% macro date_literal(iso_date) %}
    {#- A date constant every supported warehouse parses the same way. -#}
    cast('{{ iso_date }}' as date)
{%- endmacro %}
