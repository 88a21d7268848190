{% macro identity_email_provider_rules() %}
    {#- The validated var 'identity_email_provider_rules': per email domain (lower-case), the parts of an
        address's local part that the provider ignores when it delivers mail, any of ignore_dots and
        ignore_plus_suffix. -#}
    {%- set known_rules = ['ignore_dots', 'ignore_plus_suffix'] -%}
    {%- set provider_rules = var('identity_email_provider_rules') -%}
    {%- set invalid_domains = [] -%}
    {%- if provider_rules is mapping -%}
        {%- for domain, rules in provider_rules.items() -%}
            {%- if domain is not string or domain != domain | lower | trim or domain.count('@') or not domain
                or "'" in domain or rules is string or rules is not iterable
                or rules | reject('in', known_rules) | list -%}
                {%- do invalid_domains.append(domain) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if provider_rules is not mapping or invalid_domains -%}
        {{ exceptions.raise_compiler_error(
            "var 'identity_email_provider_rules' must map lower-case email domains to lists of "
            ~ (known_rules | join(' and ')) ~ ", e.g. {gmail.com: [ignore_dots, ignore_plus_suffix]}, got "
            ~ (provider_rules | tojson)
        ) }}
    {%- endif -%}
    {{- return(provider_rules) -}}
{% endmacro %}
