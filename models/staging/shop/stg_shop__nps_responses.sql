{{ rows_passing_checks(ref('stg_shop__nps_responses_checked')) }}
