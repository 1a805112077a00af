-- wrk -s healthz.lua: GET /healthz (the cheapest route: parsing, routing, writing).
wrk.method = "GET"
wrk.path = "/healthz"
