{{ rows_passing_checks(ref('stg_shop__order_items_checked')) }}
