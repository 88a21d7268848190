{% macro model_fit_max_customers() %}
    {#- The validated `model_fit_max_customers` var. It may not be below the fits' own minimums
        (`churn_model_min_training_customers`, `value_min_repeat_customers`): a sample that small could
        never be fitted. -#}
    {%- set max_customers = scorehouse.numeric_var('model_fit_max_customers', 2, 1000000000, whole_number=true) -%}
    {%- for minimum_var in ['churn_model_min_training_customers', 'value_min_repeat_customers'] -%}
        {%- if max_customers < var(minimum_var) -%}
            {{ exceptions.raise_compiler_error(
                "var 'model_fit_max_customers' (" ~ max_customers ~ ") is below var '" ~ minimum_var ~ "' ("
                ~ var(minimum_var) ~ "): a sample that small could never be fitted"
            ) }}
        {%- endif -%}
    {%- endfor -%}
    {{- return(max_customers) -}}
{% endmacro %}


{% macro model_fit_sample(relation, cutoff_roles) %}
    {#- The rows of `relation` a model is fitted on at each of `cutoff_roles`: every customer's while there are
        at most `model_fit_max_customers`, else that many customers chosen by the MD5 of their customer_id.
        MD5 is the same function in every warehouse, so each draws the same customers, and a customer's
        draw does not depend on their data, so the sample is a random one that stays put between runs. -#}
    {%- set max_customers = scorehouse.model_fit_max_customers() -%}
    {%- for cutoff_role in cutoff_roles %}
    select * from (
        select *
        from {{ relation }}
        where cutoff_role = '{{ cutoff_role }}'
        order by {{ dbt.hash('customer_id') }}, customer_id
        limit {{ max_customers }}
    ) as {{ cutoff_role }}_fit_sample
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{% endmacro %}
