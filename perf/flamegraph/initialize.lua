-- wrk script of scripts/flamegraph's initialize scenario: POST
-- {BASE_PATH}/v1/challenges/initialize with "{}" as one of FLAME_USERS users
-- (x-mock-user-id, auth off), so the profile holds first logins (default
-- goals inserted) at the start and returning players (the fast path) after.
local users = tonumber(os.getenv("FLAME_USERS") or "1000")

wrk.method = "POST"
wrk.body = "{}"
wrk.headers["Content-Type"] = "application/json"

request = function()
  wrk.headers["x-mock-user-id"] = string.format("prof-user-%06d", math.random(users))
  return wrk.format()
end
