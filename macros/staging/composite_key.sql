{% macro composite_key(columns) %}
    {#- One text key for a combination of non-null columns, for the duplicate checks (older_versions takes
        one key column). Each value is prefixed by its length, so no two combinations give the same key
        whatever characters the values hold. -#}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- set text = 'cast(' ~ column ~ ' as ' ~ dbt.type_string() ~ ')' -%}
        {%- do parts.extend(['cast(length(' ~ text ~ ') as ' ~ dbt.type_string() ~ ')', "':'", text]) -%}
    {%- endfor -%}
    {{ dbt.concat(parts) }}
{%- endmacro %}
