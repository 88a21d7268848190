{% macro exact_average(expression) %}
    {#- avg() over the expression taken as an exact decimal at 1e-9 precision. A float sum depends on the
        order rows arrive in, which a parallel build does not fix, so a rerun on the same data gave other
        last bits in a published mean; an exact sum does not. -#}
    avg(cast({{ expression }} as decimal(38, 9)))
{%- endmacro %}
