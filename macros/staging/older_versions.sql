{% macro older_versions(rows_cte, key_column) %}
    {#-
        Rows of `rows_cte` (a CTE with source_file, source_row_number, loaded_at and row_failure_reason)
        that are superseded versions of their key, as (superseded_source_file, superseded_source_row_number): among rows passing the row checks, the last loaded one
        wins (latest load, then file name, then row number). Only keys delivered more than once are
        ranked, so the usual case costs one aggregation instead of a window over every row.
    -#}
    select
        source_file as superseded_source_file,
        source_row_number as superseded_source_row_number
    from (
        select
            source_file,
            source_row_number,
            row_number() over (
                partition by {{ key_column }}
                order by loaded_at desc, source_file desc, source_row_number desc
            ) as version_rank
        from {{ rows_cte }}
        where row_failure_reason is null
            and {{ key_column }} in (
                select {{ key_column }}
                from {{ rows_cte }}
                where row_failure_reason is null
                group by {{ key_column }}
                having count(*) > 1
            )
    ) as ranked_versions
    where version_rank > 1
{%- endmacro %}
