-- KEYS: incident, timeline, events   ARGV: now, actor
local now, actor = ARGV[1], ARGV[2]
local inc = load_incident(KEYS[1])
if not inc then return refuse('not_found') end
if inc.status == 'RESOLVED' then return refuse('resolved', inc.resolved_by, inc.resolved_at) end
if inc.status == 'ACKNOWLEDGED' then
  return refuse('acknowledged', inc.acknowledged_by, inc.acknowledged_at)
end
redis.call('HSET', KEYS[1], 'status', 'ACKNOWLEDGED', 'acknowledged_by', actor,
  'acknowledged_at', now)
if not inc.assignee or inc.assignee == '' then
  redis.call('HSET', KEYS[1], 'assignee', actor)
end
local ev = emit(KEYS[1], KEYS[2], KEYS[3], inc.id, 'incident.acknowledged', actor, now,
  {since_trigger = tonumber(now) - tonumber(inc.created_at)})
return {'ok', ev}
