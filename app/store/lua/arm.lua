-- Arms an incident's timers once (ids are deterministic, so arming again changes nothing)
-- and sets incident fields that are still absent.
-- KEYS: incident, timers zset, then one timer hash per timer (same order as in ARGV)
-- ARGV[1]: JSON {fields = {k = v}, timers = [{id, due, fields = {k = v}}]}
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local spec = cjson.decode(ARGV[1])
for k, v in pairs(spec.fields or {}) do
  redis.call('HSETNX', KEYS[1], k, tostring(v))
end
local armed = 0
for i, t in ipairs(spec.timers or {}) do
  if redis.call('ZADD', KEYS[2], 'NX', t.due, t.id) == 1 then
    for k, v in pairs(t.fields) do redis.call('HSET', KEYS[2 + i], k, tostring(v)) end
    redis.call('HSET', KEYS[2 + i], 'due', tostring(t.due))
    armed = armed + 1
  end
end
return armed
