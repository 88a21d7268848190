-- The staged orders with customer_id the person's (int_customer_identity).
{{ rows_by_person(ref('stg_shop__orders')) }}
