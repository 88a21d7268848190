{% macro columns_except(relation, excluded_columns) %}
    {#- Comma-separated, quoted column list of a built relation minus the excluded ones (dbt_utils.star's job). -#}
    {%- if not execute -%}
        {{- return('*') -}}
    {%- endif -%}
    {%- set kept = [] -%}
    {%- for column in adapter.get_columns_in_relation(relation) -%}
        {%- if column.name | lower not in excluded_columns -%}
            {%- do kept.append(adapter.quote(column.name)) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if not kept -%}
        {{ exceptions.raise_compiler_error("columns_except: no columns left in " ~ relation) }}
    {%- endif -%}
    {{- return(kept | join(',\n        ')) -}}
{% endmacro %}
