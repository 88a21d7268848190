{% macro raw_rows_to_check(source_relation, recheck_reason) %}
    {#-
        The raw rows a *_checked staging model checks. A full build checks every row. An incremental build
        checks the rows loaded since its last build, and again the rows it quarantined as `recheck_reason`
        (an unknown customer or order may have arrived since); every other row keeps its verdict, since
        the loader only appends and the parents it looks up only grow.
    -#}
    select * from {{ source_relation }} as raw_rows
    {%- if is_incremental() %}
    where _loaded_at > (
            select coalesce(max(loaded_at), cast('1900-01-01' as {{ api.Column.translate_type('timestamp') }}))
            from {{ this }}
        )
        or exists (
            select 1
            from {{ this }} as previously_checked
            where previously_checked.quarantine_reason = '{{ recheck_reason }}'
                and previously_checked.source_file = raw_rows._source_file
                and previously_checked.source_row_number = raw_rows._source_row_number
        )
    {%- endif %}
{%- endmacro %}
