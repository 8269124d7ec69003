-- KEYS: incident, timeline, events, open zset, all zset
-- ARGV: now, actor, then field/value pairs of the new incident
local now, actor = ARGV[1], ARGV[2]
if redis.call('EXISTS', KEYS[1]) == 1 then return refuse('exists') end
local fields = {}
for i = 3, #ARGV, 2 do
  if ARGV[i + 1] ~= '' then
    table.insert(fields, ARGV[i]); table.insert(fields, ARGV[i + 1])
  end
end
redis.call('HSET', KEYS[1], 'status', 'TRIGGERED', 'created_at', now, 'reporter', actor,
  'seq', 0, unpack(fields))
local inc = load_incident(KEYS[1])
redis.call('ZADD', KEYS[4], now, inc.id)
redis.call('ZADD', KEYS[5], now, inc.id)
local ev = emit(KEYS[1], KEYS[2], KEYS[3], inc.id, 'incident.triggered', actor, now,
  {severity = inc.severity, assignee = inc.assignee or ''})
return {'ok', ev}
