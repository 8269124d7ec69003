-- KEYS: events stream, open zset[, dedup string]
-- ARGV: now, actor, index prefix, then field/value pairs of the new incident
-- The number is taken here, after the dedup check: a duplicate burns none.
local now, actor, P = ARGV[1], ARGV[2], ARGV[3]
if KEYS[3] then
  local open_id = redis.call('GET', KEYS[3])
  if open_id and redis.call('ZSCORE', KEYS[2], open_id) then
    return refuse('duplicate', open_id)
  end
end
local fields = {}
for i = 4, #ARGV do table.insert(fields, ARGV[i]) end
local inc, key, timeline = create_incident(P, now, actor, fields, 1)
if not inc then return refuse('exists', key) end
-- KEYS[3] (optional): the alert's dedup key; a repeat while this is open refires instead.
if KEYS[3] then redis.call('SET', KEYS[3], inc.id) end
local ev = emit(key, timeline, KEYS[1], inc.id, 'incident.triggered', actor, now,
  {severity = inc.severity, assignee = inc.assignee or ''})
return {'ok', ev, inc.id}
