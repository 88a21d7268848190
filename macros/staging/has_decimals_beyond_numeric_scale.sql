{% macro has_decimals_beyond_numeric_scale(column, delivered_type=none) %}
    {#- True when the number written in `column` has a non-zero digit past the 6 decimals of
        dbt.type_numeric(), which the typed value would round away; null when it is not a number. Read as
        text, so a Parquet double is judged by the digits it prints as. decimal(38, 16) is the widest
        decimal of every warehouse that keeps numeric(28, 6)'s 22 whole digits: digits past the 16th decimal
        are beyond what any of them can compare. A column delivered as an integer or a decimal of at most 6
        decimals (`delivered_type`, from delivered_column_types) cannot have such digits, and skips the
        text. -#}
    {%- set decimal_scale = modules.re.fullmatch('(?:decimal|numeric)\(\s*\d+\s*,\s*(\d+)\s*\)', delivered_type or '') -%}
    {%- if delivered_type in ('tinyint', 'smallint', 'integer', 'int', 'bigint', 'hugeint')
        or (decimal_scale and decimal_scale.group(1) | int <= 6) -%}
    false
    {%- else -%}
    {{ dbt.safe_cast(clean_text(column), dbt.type_numeric()) }}
        <> {{ dbt.safe_cast(clean_text(column), 'decimal(38, 16)') }}
    {%- endif -%}
{%- endmacro %}
