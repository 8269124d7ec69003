-- KEYS: incident, timeline, events, open zset, dedup string   ARGV: now, actor, index prefix
-- A repeat of an alert while its incident is open: count it there instead of declaring anew.
-- The caller read the dedup mapping to name the incident's keys; it is checked again here.
local now, actor, P = ARGV[1], ARGV[2], ARGV[3]
local inc = load_incident(KEYS[1])
if not inc then return refuse('no_open') end
if redis.call('GET', KEYS[5]) ~= inc.id then return refuse('no_open') end
if inc.status == 'RESOLVED' or not redis.call('ZSCORE', KEYS[4], inc.id) then
  return refuse('no_open')
end
local count = tonumber(inc.fired_count or '1') + 1
redis.call('HSET', KEYS[1], 'fired_count', count)
stats_add(P, inc, now, 'alerts', 1)
local ev = emit(KEYS[1], KEYS[2], KEYS[3], inc.id, 'incident.refired', actor, now,
  {count = count})
return {'ok', ev}
