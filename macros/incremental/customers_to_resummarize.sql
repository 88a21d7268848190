{% macro customers_to_resummarize(checked_relation, row_date) %}
    {#-
        Persons whose summary an incremental build recomputes from `checked_relation` (a relation or CTE
        of a *_checked staging model, with customer_id, checked_at and quarantine_reason): those with rows (re)checked
        since the summary (`this`) was last built, those with a staged row that moved in or out of the
        as-of range or the lookback window because the as-of date or lookback_days changed, and those whose
        customer_ids changed (persons_to_recompute). `row_date` is the date expression that places a row in
        time.
    -#}
    {%- set as_of = scorehouse.date_literal(scorehouse.as_of_date()) -%}
    {%- set window_start = scorehouse.date_literal(scorehouse.purchase_window_start_date()) -%}
    {%- set rechecked_customers %}
    select checked.customer_id
    from {{ checked_relation }} as checked
    cross join (
        select
            coalesce(max(summarized_at), cast('1900-01-01' as {{ api.Column.translate_type('timestamp') }}))
                as summarized_at,
            max(as_of_date) as as_of_date,
            max(window_start_date) as window_start_date
        from {{ this }}
    ) as previous_summary
    where checked.checked_at > previous_summary.summarized_at
        or (
            checked.quarantine_reason is null
            and (
                ({{ row_date }} <= previous_summary.as_of_date) <> ({{ row_date }} <= {{ as_of }})
                or ({{ row_date }} >= previous_summary.window_start_date) <> ({{ row_date }} >= {{ window_start }})
            )
        )
    {%- endset %}
    {{ scorehouse.persons_to_recompute(rechecked_customers, 'summarized_at') }}
{%- endmacro %}
