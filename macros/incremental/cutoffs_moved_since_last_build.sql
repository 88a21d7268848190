{% macro cutoffs_moved_since_last_build(cutoffs, cutoff_columns) %}
    {#-
        Whether `this`, an incremental model with one row per customer per prediction cutoff, was last built
        at other cutoffs than `cutoffs` (entries of prediction_cutoffs()) in any of `cutoff_columns`
        (cutoff_date, window_start_date): another as-of date, horizon or lookback moves every customer's rows,
        so the build then recomputes them all.
    -#}
    {%- if not execute -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set built = run_query('select distinct cutoff_role, ' ~ cutoff_columns | join(', ') ~ ' from ' ~ this) -%}
    {%- set built_cutoffs = [] -%}
    {%- for row in built.rows -%}
        {%- do built_cutoffs.append(row | map('string') | join(' ')) -%}
    {%- endfor -%}
    {%- set wanted_cutoffs = [] -%}
    {%- for cutoff in cutoffs -%}
        {%- set values = [cutoff.role] -%}
        {%- for column in cutoff_columns -%}
            {%- do values.append(cutoff[column]) -%}
        {%- endfor -%}
        {%- do wanted_cutoffs.append(values | join(' ')) -%}
    {%- endfor -%}
    {{ return(built_cutoffs | sort != wanted_cutoffs | sort) }}
{% endmacro %}
