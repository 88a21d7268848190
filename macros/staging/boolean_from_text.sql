{% macro boolean_from_text(column) %}
    {#- true for true/t/1, false for false/f/0 (any letter case, blanks trimmed), null for anything else.
        Spelled out rather than cast: each warehouse's own cast accepts a different set (yes, on, y, ...).
        The input contract check accepts the same texts (flows/scorehouse/contract.py, BOOLEAN_TEXTS). -#}
    case lower({{ scorehouse.clean_text(column) }})
        when 'true' then true
        when 't' then true
        when '1' then true
        when 'false' then false
        when 'f' then false
        when '0' then false
    end
{%- endmacro %}
