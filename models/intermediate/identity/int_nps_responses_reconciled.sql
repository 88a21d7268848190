-- The staged nps responses with customer_id the person's (int_customer_identity).
{{ rows_by_person(ref('stg_shop__nps_responses')) }}
