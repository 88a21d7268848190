{{ rows_passing_checks(ref('stg_shop__customers_checked')) }}
