-- A status update on an open incident. KEYS: incident, timeline, events
-- ARGV: now, actor, text
local now, actor, text = ARGV[1], ARGV[2], ARGV[3]
local inc = load_incident(KEYS[1])
if not inc then return refuse('not_found') end
if inc.status == 'RESOLVED' then return refuse('resolved', inc.resolved_by, inc.resolved_at) end
redis.call('HSET', KEYS[1], 'last_update_at', now)
local ev = emit(KEYS[1], KEYS[2], KEYS[3], inc.id, 'incident.status_update', actor, now,
  {text = text})
return {'ok', ev}
