{{ rows_passing_checks(ref('stg_shop__events_checked')) }}
