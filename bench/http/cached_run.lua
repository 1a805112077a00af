-- wrk -s cached_run.lua: GET /api/v1/runs/<id> of a finished run (the result cache).
-- The id comes from the environment: RUN_ID=... wrk -s cached_run.lua ...
wrk.method = "GET"
wrk.path = "/api/v1/runs/" .. os.getenv("RUN_ID")
