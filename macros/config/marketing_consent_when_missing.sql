{% macro marketing_consent_when_missing() %}
    {#- Whether a customer without a marketing_consent answer may leave the warehouse in an audience. -#}
    {%- set consent = var('marketing_consent_when_missing') -%}
    {%- if consent is not boolean -%}
        {{ exceptions.raise_compiler_error(
            "var 'marketing_consent_when_missing' must be true or false, got " ~ (consent | tojson)
        ) }}
    {%- endif -%}
    {{- return(consent) -}}
{% endmacro %}
