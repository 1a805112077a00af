-- wrk -s post_run.lua: POST /api/v1/runs on the demo with a cold cache: every request sends a
-- different seed, so every request is a new analysis. DATASET_ID names the uploaded demo CSV.
local dataset = os.getenv("DATASET_ID")
local counter = 0
request = function()
  counter = counter + 1
  local body = string.format(
    '{"dataset":"%s","config":{"data":{"allow_risk_free_fallback":true},' ..
    '"vol_adjust":{"target_vol":0.1},"portfolio":{"selection_mode":"rank",' ..
    '"rank":{"inclusion_approach":"top_n","n":5,"score_by":"Sharpe"}},' ..
    '"sample_split":{"in_start":"2015-01","in_end":"2022-12","out_start":"2023-01","out_end":"2024-12"},' ..
    '"seed":%d}}', dataset, counter * 100000 + math.random(99999))
  return wrk.format("POST", "/api/v1/runs", {["Content-Type"] = "application/json"}, body)
end
