{% macro validate_vars() %}
    {#- Runs at the start of every dbt invocation so a bad var stops the run before any model is built. -#}
    {%- do scorehouse.as_of_date() -%}
    {%- do scorehouse.purchase_window_start_date() -%}
    {%- do scorehouse.numeric_var('rfm_bucket_count', 2, 100, whole_number=true) -%}
    {%- do scorehouse.rfm_tie_policy() -%}
    {%- do scorehouse.composite_weights() -%}
    {%- do scorehouse.numeric_var('vip_top_percent', 0, 100) -%}
    select 1
{% endmacro %}
