-- KEYS: incident, timeline, events   ARGV: now, actor, assignee, index prefix
local now, actor, assignee, P = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local inc = load_incident(KEYS[1])
if not inc then return refuse('not_found') end
if inc.status == 'RESOLVED' then return refuse('resolved', inc.resolved_by, inc.resolved_at) end
if inc.assignee == assignee then return refuse('unchanged', assignee) end
redis.call('HSET', KEYS[1], 'assignee', assignee)
reindex(P, inc, KEYS[1])
local ev = emit(KEYS[1], KEYS[2], KEYS[3], inc.id, 'incident.assigned', actor, now,
  {assignee = assignee, previous = inc.assignee or ''})
return {'ok', ev}
