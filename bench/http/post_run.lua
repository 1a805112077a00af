-- wrk -s post_run.lua: POST /api/v1/runs on the demo with a cold cache: every request of
-- every wrk thread sends a different seed, so every request is a new analysis (X-Cache: miss).
-- DATASET_ID names the uploaded demo CSV.
local threads = 0
function setup(thread)
  thread:set("thread_id", threads)
  threads = threads + 1
end

local dataset = os.getenv("DATASET_ID")
local counter = 0
request = function()
  counter = counter + 1
  local body = string.format(
    '{"dataset":"%s","config":{"data":{"allow_risk_free_fallback":true},' ..
    '"vol_adjust":{"target_vol":0.1},"portfolio":{"selection_mode":"rank",' ..
    '"rank":{"inclusion_approach":"top_n","n":5,"score_by":"Sharpe"}},' ..
    '"sample_split":{"in_start":"2015-01","in_end":"2022-12","out_start":"2023-01","out_end":"2024-12"},' ..
    '"seed":%d}}', dataset, thread_id * 100000000 + counter)
  return wrk.format("POST", "/api/v1/runs", {["Content-Type"] = "application/json"}, body)
end

done = function(summary, latency, requests)
  io.write(string.format("non-2xx: %d\n", summary.errors.status))
end
