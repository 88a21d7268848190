{% macro spark__load_csv_rows(model, agate_table) %}
    {#- dbt-spark's seed loader binds an empty cell as the text 'None', which a text column keeps
        (dbt-labs/dbt-spark#901). This is its loader with empty cells written as null, as on the other
        warehouses. -#}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set bindings = [] -%}
        {%- for row in chunk -%}
            {%- for value in row -%}
                {%- if value is not none -%}
                    {%- do bindings.append(value) -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endfor -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                ({%- for column_name in agate_table.column_names -%}
                    {%- set column_type = column_override.get(column_name, adapter.convert_type(agate_table, loop.index0)) -%}
                    cast({{ 'null' if row[loop.index0] is none else get_binding_char() }} as {{ column_type }})
                    {%- if not loop.last %}, {% endif -%}
                {%- endfor -%})
                {%- if not loop.last %},{% endif %}
            {% endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, bindings=bindings, abridge_sql_log=True) -%}
        {%- if loop.first -%}
            {%- do statements.append(sql) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return(statements[0]) -}}
{% endmacro %}
