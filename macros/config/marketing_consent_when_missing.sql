{% macro marketing_consent_when_missing() %}
    {#- Whether a customer without a marketing_consent answer may leave the warehouse in an audience. -#}
    {{- return(scorehouse.boolean_var('marketing_consent_when_missing')) -}}
{% endmacro %}
