{% macro lookalike_seed() %}
    {#- The validated var 'lookalike_seed': the segments and flags whose customers the lookalikes resemble,
        as {'segments': [...], 'flags': [...]}; a customer in any listed segment or with any listed flag is in
        the seed group. -#}
    {%- set flags = ['is_vip', 'is_churn_risk', 'is_ambassador', 'is_detractor_to_save'] -%}
    {%- set seed = var('lookalike_seed') -%}
    {%- set segments = seed.get('segments', []) if seed is mapping else none -%}
    {%- set chosen_flags = seed.get('flags', []) if seed is mapping else none -%}
    {%- set is_list = segments is iterable and segments is not string and chosen_flags is iterable
        and chosen_flags is not string -%}
    {%- if seed is not mapping or not is_list or seed.keys() | reject('in', ['segments', 'flags']) | list
        or (segments | length + chosen_flags | length) == 0
        or segments | reject('string') | list
        or chosen_flags | reject('in', flags) | list -%}
        {{ exceptions.raise_compiler_error(
            "var 'lookalike_seed' must be {segments: [segment names], flags: [any of " ~ (flags | join(', '))
            ~ "]} with at least one segment or flag, got " ~ (seed | tojson)
        ) }}
    {%- endif -%}
    {{- return({'segments': segments | list, 'flags': chosen_flags | list}) -}}
{% endmacro %}

{% macro is_lookalike_seed(relation_alias) %}
    {#- SQL true when the row of `relation_alias` (with segment_name and the flag columns) is in the seed group. -#}
    {%- set seed = scorehouse.lookalike_seed() -%}
    {%- set conditions = [] -%}
    {%- if seed['segments'] -%}
        {%- set quoted = [] -%}
        {%- for segment in seed['segments'] -%}
            {%- do quoted.append("'" ~ segment | replace("'", "''") ~ "'") -%}
        {%- endfor -%}
        {%- do conditions.append(relation_alias ~ '.segment_name in (' ~ (quoted | join(', ')) ~ ')') -%}
    {%- endif -%}
    {%- for flag in seed['flags'] -%}
        {%- do conditions.append('coalesce(' ~ relation_alias ~ '.' ~ flag ~ ', false)') -%}
    {%- endfor -%}
    ({{ conditions | join(' or ') }})
{%- endmacro %}
