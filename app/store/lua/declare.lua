-- KEYS: incident, timeline, events, open zset, all zset[, dedup string]
-- ARGV: now, actor, index prefix, then field/value pairs of the new incident
local now, actor, P = ARGV[1], ARGV[2], ARGV[3]
if redis.call('EXISTS', KEYS[1]) == 1 then return refuse('exists') end
if KEYS[6] then
  local open_id = redis.call('GET', KEYS[6])
  if open_id and redis.call('ZSCORE', KEYS[4], open_id) then
    return refuse('duplicate', open_id)
  end
end
local fields = {}
for i = 4, #ARGV, 2 do
  if ARGV[i + 1] ~= '' then
    table.insert(fields, ARGV[i]); table.insert(fields, ARGV[i + 1])
  end
end
redis.call('HSET', KEYS[1], 'status', 'TRIGGERED', 'created_at', now, 'reporter', actor,
  'seq', 0, unpack(fields))
local inc = load_incident(KEYS[1])
-- KEYS[6] (optional): the alert's dedup key; a repeat while this is open refires instead.
if KEYS[6] then redis.call('SET', KEYS[6], inc.id) end
index_put(P, inc)  -- the open and all sets (KEYS[4], KEYS[5]) among them
stats_add(P, inc, now, 'declared', 1)
stats_add(P, inc, now, 'alerts', 1)
stats_add(P, inc, now, 'sev:' .. inc.severity, 1)
stats_add(P, inc, now, svc_field(inc), 1)
local ev = emit(KEYS[1], KEYS[2], KEYS[3], inc.id, 'incident.triggered', actor, now,
  {severity = inc.severity, assignee = inc.assignee or ''})
return {'ok', ev}
