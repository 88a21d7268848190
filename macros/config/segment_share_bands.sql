{% macro segment_share_bands() %}
    {#- Var `segment_share_bands`, validated: segment name -> [min_share, max_share] of all customers, with
        0 <= min_share <= max_share <= 1. -#}
    {%- set bands = var('segment_share_bands') or {} -%}
    {%- if bands is not mapping -%}
        {{ exceptions.raise_compiler_error(
            "var 'segment_share_bands' must map segment names to [min_share, max_share], got " ~ (bands | tojson)
        ) }}
    {%- endif -%}
    {%- for segment_name, band in bands.items() -%}
        {%- set is_valid = band is sequence and band is not string and band | length == 2
            and band[0] is number and band[1] is number and band[0] is not boolean and band[1] is not boolean
            and 0 <= band[0] <= band[1] <= 1 -%}
        {%- if not is_valid -%}
            {{ exceptions.raise_compiler_error(
                "var 'segment_share_bands' must give " ~ segment_name ~ " a band [min_share, max_share] with "
                ~ "0 <= min_share <= max_share <= 1, got " ~ (band | tojson)
            ) }}
        {%- endif -%}
    {%- endfor -%}
    {{- return(bands) -}}
{% endmacro %}
