{% macro normalised_email(email_expression) %}
    {#- An email trimmed and lower-cased: the form ad platforms hash for customer matching, and the start of
        the identity match key. -#}
    lower(trim({{ email_expression }}))
{%- endmacro %}
