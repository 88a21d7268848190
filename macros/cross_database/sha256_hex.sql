{% macro sha256_hex(text_expression) %}
    {#- The SHA-256 digest of a text's UTF-8 bytes as 64 lower-case hex digits, the form of the ad platforms'
        customer-match uploads; null for null. -#}
    {{ return(adapter.dispatch('sha256_hex', 'scorehouse')(text_expression)) }}
{% endmacro %}

{% macro default__sha256_hex(text_expression) %}
    sha256({{ text_expression }})
{%- endmacro %}

{% macro postgres__sha256_hex(text_expression) %}
    encode(sha256(convert_to({{ text_expression }}, 'UTF8')), 'hex')
{%- endmacro %}

{% macro spark__sha256_hex(text_expression) %}
    sha2({{ text_expression }}, 256)
{%- endmacro %}
