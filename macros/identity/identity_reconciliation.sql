{% macro identity_reconciliation() %}
    {#- The validated var 'identity_reconciliation': whether customers with the same normalised email are one
        person for scoring. -#}
    {{- return(scorehouse.boolean_var('identity_reconciliation')) -}}
{% endmacro %}
