{% macro validate_rfm_cut_points(cut_points_relation, dimension) %}
    {#- Stops the build with one sentence naming the seed, the dimension and the rows when the bands of
        `dimension` in the rfm_cut_points seed cannot score every value once: scores other than 1..n one row
        each, a band count other than rfm_bucket_count, a band without a lower bound or not above it, bands
        out of order, overlapping or leaving a gap, a lowest band starting above 0 or a highest band with an
        upper bound. The seed is read when the model runs, so nothing is checked at parse time, in a dbt unit
        test, which brings its own rows, or before the seed is loaded (dbt compile on a fresh clone; a build
        loads it before the models that read it). -#}
    {%- if not execute or model.resource_type == 'unit_test' or load_relation(cut_points_relation) is none -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set buckets = scorehouse.numeric_var('rfm_bucket_count', 2, 100, whole_number=true) -%}
    {%- set where = "seed rfm_cut_points, dimension " ~ dimension ~ ": " -%}
    {%- set rows = run_query(
        "select score, lower_bound_inclusive, upper_bound_exclusive from " ~ cut_points_relation
        ~ " where dimension = '" ~ dimension ~ "' order by score"
    ).rows -%}

    {%- set scores = rows | map(attribute='score') | list -%}
    {%- if rows | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            where ~ "there are no rows, yet var 'rfm_cut_point_dimensions' scores " ~ dimension
            ~ " by cut points; add one row per score from 1 to " ~ buckets
        ) }}
    {%- elif scores != range(1, scores | length + 1) | list -%}
        {{ exceptions.raise_compiler_error(
            where ~ "the scores must run 1, 2, 3, ... with one row each, got " ~ (scores | join(', '))
        ) }}
    {%- elif scores | length != buckets -%}
        {{ exceptions.raise_compiler_error(
            where ~ "there are " ~ scores | length ~ " bands (scores 1 to " ~ scores | length
            ~ ") but rfm_bucket_count is " ~ buckets ~ "; give it one row per score from 1 to " ~ buckets
        ) }}
    {%- endif -%}

    {#- the bands in the order of the values they hold: recency's best score holds the fewest days -#}
    {%- set bands = [] -%}
    {%- for row in (rows | reverse | list if dimension == 'recency' else rows) -%}
        {%- set bound = {} -%}
        {%- for name, value in [('lower', row['lower_bound_inclusive']), ('upper', row['upper_bound_exclusive'])] -%}
            {#- whole bounds are shown without decimals: 10, not 10.00 -#}
            {%- do bound.update({name: none if value is none else (value | int if value == value | int else value)}) -%}
        {%- endfor -%}
        {%- set shown = 'row score ' ~ row['score'] ~ ' (' ~ bound.lower ~ (
            ' and up' if bound.upper is none else ' to below ' ~ bound.upper) ~ ')' -%}
        {%- do bands.append({'score': row['score'], 'lower': bound.lower, 'upper': bound.upper, 'shown': shown}) -%}
        {%- if bound.lower is none -%}
            {{ exceptions.raise_compiler_error(where ~ "row score " ~ row['score'] ~ " has no lower_bound_inclusive") }}
        {%- elif bound.upper is not none and bound.upper <= bound.lower -%}
            {{ exceptions.raise_compiler_error(
                where ~ bands[-1].shown ~ " holds no value: upper_bound_exclusive must be above lower_bound_inclusive"
            ) }}
        {%- endif -%}
    {%- endfor -%}

    {%- set direction = 'fall as the days grow' if dimension == 'recency' else 'rise with the value' -%}
    {%- for band in bands[:-1] -%}
        {%- set next_band = bands[loop.index] -%}
        {%- if next_band.lower < band.lower -%}
            {{ exceptions.raise_compiler_error(
                where ~ "the scores must " ~ direction ~ ", but " ~ next_band.shown ~ " lies below " ~ band.shown
            ) }}
        {%- endif -%}
    {%- endfor -%}
    {%- for band in bands[:-1] -%}
        {%- set next_band = bands[loop.index] -%}
        {%- if band.upper is none or next_band.lower < band.upper -%}
            {{ exceptions.raise_compiler_error(
                where ~ band.shown ~ " and " ~ next_band.shown ~ " overlap; each band must start where the one below it ends"
            ) }}
        {%- elif next_band.lower > band.upper -%}
            {{ exceptions.raise_compiler_error(
                where ~ "values from " ~ band.upper ~ " to below " ~ next_band.lower ~ " fall between " ~ band.shown
                ~ " and " ~ next_band.shown ~ " and get no score; each band must start where the one below it ends"
            ) }}
        {%- endif -%}
    {%- endfor -%}
    {%- if bands[0].lower > 0 -%}
        {{ exceptions.raise_compiler_error(
            where ~ "values below " ~ bands[0].lower ~ " get no score; the band of the lowest values, " ~ bands[0].shown
            ~ ", must start at 0"
        ) }}
    {%- elif bands[-1].upper is not none -%}
        {{ exceptions.raise_compiler_error(
            where ~ "values from " ~ bands[-1].upper ~ " up get no score; the band of the highest values, " ~ bands[-1].shown
            ~ ", must leave upper_bound_exclusive empty"
        ) }}
    {%- endif -%}
{% endmacro %}
