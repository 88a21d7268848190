{% macro identity_email_key(email_expression) %}
    {#- The email by which customers are matched to one person: normalised, then with the parts of the local
        part removed that its domain's provider ignores (var identity_email_provider_rules). -#}
    {%- set provider_rules = scorehouse.identity_email_provider_rules() -%}
    {%- set email = scorehouse.normalised_email(email_expression) -%}
    {%- if not provider_rules -%}
    {{ email }}
    {%- else -%}
    {#- the first part of a split always exists: Spark's ANSI mode fails on a missing one -#}
    {%- set local_part = dbt.split_part(email, "'@'", 1) -%}
    case
        {%- for domain_name, rules in provider_rules.items() %}
        {%- set kept_local_part = local_part %}
        {%- if 'ignore_plus_suffix' in rules %}
            {%- set kept_local_part = dbt.split_part(kept_local_part, "'+'", 1) %}
        {%- endif %}
        {%- if 'ignore_dots' in rules %}
            {%- set kept_local_part = dbt.replace(kept_local_part, "'.'", "''") %}
        {%- endif %}
        when {{ email }} like '%@{{ domain_name }}'
            then {{ dbt.concat([kept_local_part, "'@" ~ domain_name ~ "'"]) }}
        {%- endfor %}
        else {{ email }}
    end
    {%- endif -%}
{%- endmacro %}
