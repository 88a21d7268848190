{{ campaign_results(ref('int_campaign_sends_attributed'), ['campaign_id']) }}
