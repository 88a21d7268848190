{% macro integer_divide(numerator, denominator) %}
    {#- Whole-number quotient of two non-negative integer expressions, exact on every warehouse: a decimal
        division rounds its result to a few places, which can carry it across a whole number. -#}
    {{- return(adapter.dispatch('integer_divide', 'scorehouse')(numerator, denominator)) -}}
{% endmacro %}

{% macro default__integer_divide(numerator, denominator) %}
    ({{ numerator }}) / ({{ denominator }})
{%- endmacro %}

{% macro duckdb__integer_divide(numerator, denominator) %}
    ({{ numerator }}) // ({{ denominator }})
{%- endmacro %}

{% macro spark__integer_divide(numerator, denominator) %}
    ({{ numerator }}) div ({{ denominator }})
{%- endmacro %}
