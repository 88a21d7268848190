{% macro clean_text(column) %}
    {#- Text with surrounding blanks removed; blank becomes null so it counts as missing. -#}
    nullif(trim(cast({{ column }} as {{ dbt.type_string() }})), '')
{%- endmacro %}
