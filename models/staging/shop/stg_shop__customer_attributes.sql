-- Rows of the checked model that pass every check; a view, so a run never copies them. Its attribute columns
-- are the ones the source declares, so they are listed from there rather than from the staging yml.
{{ config(materialized='view') }}
{%- set staged_columns = ['customer_id'] + customer_attribute_columns() | map(attribute='name') | list
    + ['source_file', 'source_row_number', 'loaded_at'] %}
{{ rows_passing_checks(ref('stg_shop__customer_attributes_checked'), staged_columns) }}
