{% macro older_versions(rows_cte, key_column, duplicate_reason, older_version_reason) %}
    {#-
        Rows of `rows_cte` (a CTE with source_file, source_row_number, loaded_at and row_failure_reason)
        that are superseded versions of their key, as (superseded_source_file, superseded_source_row_number,
        superseded_reason): among rows passing the row checks, the last loaded one wins (latest load, then
        file name, then row number). A row the same file repeats later is a defect of that file
        (`duplicate_reason`); one a later file sends again is the older state of its key
        (`older_version_reason`), which is how deliveries update a record. Only keys delivered more than once
        are ranked, so the usual case costs one aggregation instead of a window over every row.
    -#}
    select
        source_file as superseded_source_file,
        source_row_number as superseded_source_row_number,
        case
            when source_file = newest_source_file then '{{ duplicate_reason }}'
            else '{{ older_version_reason }}'
        end as superseded_reason
    from (
        select
            source_file,
            source_row_number,
            row_number() over key_versions as version_rank,
            first_value(source_file) over key_versions as newest_source_file
        from {{ rows_cte }}
        where row_failure_reason is null
            and {{ key_column }} in (
                select {{ key_column }}
                from {{ rows_cte }}
                where row_failure_reason is null
                group by {{ key_column }}
                having count(*) > 1
            )
        window key_versions as (
            partition by {{ key_column }}
            order by loaded_at desc, source_file desc, source_row_number desc
        )
    ) as ranked_versions
    where version_rank > 1
{%- endmacro %}
