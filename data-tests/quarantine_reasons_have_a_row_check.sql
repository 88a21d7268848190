-- Every reason staging quarantines a row for has its policy in the row_checks seed, which says whether it
-- stops a delivery or only quarantines. Returns the reasons without one, with how many rows they hold.
with

quarantined_rows as (
    select * from {{ ref('stg_shop__quarantined_rows') }}
),

row_checks as (
    select * from {{ ref('row_checks') }}
),

reasons_without_a_check as (
    select
        quarantined_rows.source_table,
        quarantined_rows.quarantine_reason,
        count(*) as quarantined_row_count
    from quarantined_rows
    left join row_checks
        on quarantined_rows.source_table = row_checks.source_table
        and quarantined_rows.quarantine_reason = row_checks.quarantine_reason
    where row_checks.quarantine_reason is null
    group by quarantined_rows.source_table, quarantined_rows.quarantine_reason
)

select * from reasons_without_a_check
