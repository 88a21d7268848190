{% test not_null_columns(model, columns) %}
{#- Fails on every one of the columns that holds nulls, with how many rows: one pass over the model for all
    its required columns, where a not_null test per column would read it once per column. -#}
{%- set null_rows = {} -%}
{%- for column in columns -%}
    {%- do null_rows.update({column: 'count(*) - count(' ~ column ~ ')'}) -%}
{%- endfor -%}
{{ scorehouse.columns_with_failures(model, null_rows, 'null_rows') }}
{% endtest %}
