{% macro customer_attribute_columns() %}
    {#- The attribute columns the source shop.customer_attributes declares (every column but customer_id), as
        dicts of name and data_type in the order declared, so that staging types each one without naming it:
        a company declares its own in models/staging/shop/_shop__sources.yml and touches no SQL. A name must
        be usable unquoted on every warehouse, and the kind one a score can use; otherwise the build stops
        with one sentence naming the column. Read from the parsed project: nothing at parse time. -#}
    {%- if not execute -%}
        {{- return([]) -}}
    {%- endif -%}
    {%- set kinds = ['integer', 'number', 'boolean'] -%}
    {%- set staging_columns = ['source_file', 'source_row_number', 'loaded_at', 'quarantine_reason'] -%}
    {%- set attributes = [] -%}
    {%- for source_table in graph.sources.values()
        if source_table.source_name == 'shop' and source_table.name == 'customer_attributes' -%}
        {%- for column in source_table.columns.values() if column.name != 'customer_id' -%}
            {%- if not modules.re.fullmatch('[a-z][a-z0-9_]*', column.name) or column.name in staging_columns -%}
                {{ exceptions.raise_compiler_error(
                    "customer_attributes column '" ~ column.name ~ "' in models/staging/shop/_shop__sources.yml"
                    ~ " needs a lower-case name of letters, digits and underscores other than "
                    ~ staging_columns | join(', ') ~ "; rename it there and in the file."
                ) }}
            {%- endif -%}
            {%- if column.data_type not in kinds -%}
                {{ exceptions.raise_compiler_error(
                    "customer_attributes column '" ~ column.name ~ "' is declared as " ~ (column.data_type or 'nothing')
                    ~ " in models/staging/shop/_shop__sources.yml; declare it integer, number or boolean, the kinds"
                    ~ " a score can use."
                ) }}
            {%- endif -%}
            {%- do attributes.append({'name': column.name, 'data_type': column.data_type}) -%}
        {%- endfor -%}
    {%- endfor -%}
    {{- return(attributes) -}}
{% endmacro %}
