{% macro lead_points(expression) %}
    {#- Lead scoring points as an exact decimal: seed points have two decimals and ages are whole days, so
        decay and sums stay exact and give the same bytes on every run and warehouse. -#}
    cast({{ expression }} as decimal(18, 2))
{%- endmacro %}
