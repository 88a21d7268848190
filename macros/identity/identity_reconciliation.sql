{% macro identity_reconciliation() %}
    {#- The validated var 'identity_reconciliation': whether customers with the same normalised email are one
        person for scoring. -#}
    {%- set reconciles = var('identity_reconciliation') -%}
    {%- if reconciles is not boolean -%}
        {{ exceptions.raise_compiler_error(
            "var 'identity_reconciliation' must be true or false, got " ~ (reconciles | tojson)
        ) }}
    {%- endif -%}
    {{- return(reconciles) -}}
{% endmacro %}
