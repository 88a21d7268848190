{% macro score_criteria(criteria_relation) %}
    {#- The criteria of the composite score: the rows of seed score_criteria (`criteria_relation`), each checked against the columns
        the warehouse offers, or, while the seed is empty, the R, F and M scores weighted by var
        `composite_weights`. A row that cannot be applied stops the build with one sentence naming the
        criterion. Returns one dict per criterion, in criterion order: criterion, label, weight (a decimal
        literal), direction, normalisation, lower_bound, upper_bound, missing_value_counts_as, kind (number or
        boolean), expression (SQL on the relations fct_customer_score_contributions joins), cutoff_expression
        (SQL on those int_score_criteria_at_cutoffs joins: the value at a past cutoff from data up to it; none
        where the warehouse keeps no such value or it needs a fitted model) and from_seed.
        The seed is read when the model runs: nothing is returned at parse time. -#}
    {%- if not execute -%}
        {{- return([]) -}}
    {%- endif -%}
    {%- set top_score = scorehouse.numeric_var('rfm_bucket_count', 2, 100, whole_number=true) -%}

    {#- column: (kind, SQL expression, SQL expression at a cutoff or none) of every column a criterion may name -#}
    {%- set available = {} -%}
    {%- set kept_at_cutoffs = [
        'purchase_count', 'lifetime_revenue', 'average_order_value', 'recency_days', 'frequency', 'monetary',
        'event_count', 'tenure_days',
    ] -%}
    {%- set text_columns = [] -%}
    {%- for column, kind in scorehouse.customer_summary_column_kinds().items() -%}
        {%- if kind == 'text' -%}
            {#- named, so that choosing one gets its own sentence -#}
            {%- do text_columns.append(column) -%}
        {%- else -%}
            {%- do available.update({column: (
                kind, 'customers.' ~ column, 'features.' ~ column if column in kept_at_cutoffs else none
            )}) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for column in ['recency_score', 'frequency_score', 'monetary_score'] -%}
        {%- do available.update({column: ('number', 'rfm_scores.' ~ column, 'rfm_scores.' ~ column)}) -%}
    {%- endfor -%}
    {%- do available.update({
        'lead_score': ('number', 'lead_scores.lead_score', none),
        'churn_probability': ('number', 'churn_predictions.churn_probability', none),
        'predicted_value': ('number', 'value_predictions.predicted_value', none),
    }) -%}
    {%- set clashing_attributes = [] -%}
    {%- for attribute in scorehouse.customer_attribute_columns() -%}
        {%- if attribute.name in available or attribute.name in text_columns -%}
            {%- do clashing_attributes.append(attribute.name) -%}
        {%- else -%}
            {%- set kind = 'boolean' if attribute.data_type == 'boolean' else 'number' -%}
            {%- do available.update({attribute.name: (kind, 'customer_attributes.' ~ attribute.name, none)}) -%}
        {%- endif -%}
    {%- endfor -%}

    {%- set rows = [] if load_relation(criteria_relation) is none else run_query(
        'select criterion, label, weight, direction, normalisation, lower_bound, upper_bound,'
        ~ ' missing_value_counts_as from ' ~ criteria_relation ~ ' order by criterion'
    ).rows -%}

    {%- set criteria = [] -%}
    {%- if rows | length == 0 -%}
        {%- for component, weight in scorehouse.composite_weights().items() -%}
            {%- do criteria.append({
                'criterion': component ~ '_score', 'label': component | capitalize, 'weight': weight,
                'direction': 'higher_is_better', 'normalisation': 'min_max', 'lower_bound': 1,
                'upper_bound': top_score, 'missing_value_counts_as': 0, 'kind': 'number',
                'expression': available[component ~ '_score'][1],
                'cutoff_expression': available[component ~ '_score'][2], 'from_seed': false,
            }) -%}
        {%- endfor -%}
        {{- return(criteria | sort(attribute='criterion')) -}}
    {%- endif -%}

    {%- set directions = ['higher_is_better', 'lower_is_better'] -%}
    {%- set normalisations = ['bucket', 'percentile_rank', 'min_max', 'boolean'] -%}
    {%- set seen = [] -%}
    {%- for row in rows -%}
        {%- set criterion = row['criterion'] or '' -%}
        {%- set kind = available.get(criterion, [none])[0] -%}
        {%- set label = row['label'] or criterion -%}
        {%- set has_bounds = row['lower_bound'] is not none or row['upper_bound'] is not none -%}
        {%- set problem = none -%}
        {%- if criterion in seen -%}
            {%- set problem = 'the criterion is listed twice; keep one row' -%}
        {%- elif criterion in clashing_attributes -%}
            {%- set problem = 'customer_attributes declares a column of this name, which the customer summary already has; rename the attribute' -%}
        {%- elif criterion in text_columns -%}
            {%- set problem = 'the column holds text; a criterion must be a numeric or boolean column' -%}
        {%- elif kind is none -%}
            {%- set problem = 'criterion must be one of ' ~ (available.keys() | sort | join(', ')) ~ ', got "' ~ criterion ~ '"' -%}
        {%- elif row['weight'] is none or row['weight'] < 0 -%}
            {%- set problem = 'weight must be a number of 0 or more, got ' ~ (row['weight'] if row['weight'] is not none else 'nothing') -%}
        {%- elif row['direction'] not in directions -%}
            {%- set problem = 'direction must be one of ' ~ (directions | join(', ')) ~ ', got "' ~ (row['direction'] or '') ~ '"' -%}
        {%- elif row['normalisation'] not in normalisations -%}
            {%- set problem = 'normalisation must be one of ' ~ (normalisations | join(', ')) ~ ', got "' ~ (row['normalisation'] or '') ~ '"' -%}
        {%- elif (kind == 'boolean') != (row['normalisation'] == 'boolean') -%}
            {%- set problem = 'normalisation boolean is for boolean columns only, and a boolean column takes no other; ' ~ criterion ~ ' is a ' ~ kind ~ ' column' -%}
        {%- elif row['normalisation'] == 'min_max' and (row['lower_bound'] is none or row['upper_bound'] is none or row['lower_bound'] >= row['upper_bound']) -%}
            {%- set problem = 'min_max needs lower_bound below upper_bound, got ' ~ (row['lower_bound'] if row['lower_bound'] is not none else 'nothing') ~ ' and ' ~ (row['upper_bound'] if row['upper_bound'] is not none else 'nothing') -%}
        {%- elif row['normalisation'] != 'min_max' and has_bounds -%}
            {%- set problem = 'lower_bound and upper_bound apply to min_max only; leave them empty for ' ~ row['normalisation'] -%}
        {%- elif row['missing_value_counts_as'] is not none and not (0 <= row['missing_value_counts_as'] <= 1) -%}
            {%- set problem = 'missing_value_counts_as must be from 0 to 1 (a normalised value), got ' ~ row['missing_value_counts_as'] -%}
        {%- elif "'" in label or "\\" in label -%}
            {%- set problem = 'label must not contain quotes or backslashes' -%}
        {%- endif -%}
        {%- if problem -%}
            {{ exceptions.raise_compiler_error("score_criteria criterion '" ~ criterion ~ "': " ~ problem) }}
        {%- endif -%}
        {%- do seen.append(criterion) -%}
        {%- do criteria.append({
            'criterion': criterion, 'label': label, 'weight': row['weight'], 'direction': row['direction'],
            'normalisation': row['normalisation'], 'lower_bound': row['lower_bound'],
            'upper_bound': row['upper_bound'], 'missing_value_counts_as': row['missing_value_counts_as'] or 0,
            'kind': kind, 'expression': available[criterion][1], 'cutoff_expression': available[criterion][2],
            'from_seed': true,
        }) -%}
    {%- endfor -%}
    {%- if criteria | map(attribute='weight') | sum <= 0 -%}
        {{ exceptions.raise_compiler_error(
            "score_criteria: at least one criterion needs a weight above 0; every weight is 0"
        ) }}
    {%- endif -%}
    {{- return(criteria) -}}
{% endmacro %}
