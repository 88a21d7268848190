{{ rows_passing_checks(ref('stg_shop__campaign_sends_checked')) }}
