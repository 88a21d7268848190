{% macro lead_points_text(expression) %}
    {#- Points for reading: whole numbers without decimals (10), others with two (6.50). -#}
    case
        when {{ expression }} = floor({{ expression }}) then cast(cast({{ expression }} as {{ dbt.type_bigint() }}) as {{ dbt.type_string() }})
        else cast({{ expression }} as {{ dbt.type_string() }})
    end
{%- endmacro %}
