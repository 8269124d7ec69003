-- KEYS: incident, timeline, events   ARGV: now, actor, severity
local now, actor, sev = ARGV[1], ARGV[2], ARGV[3]
local inc = load_incident(KEYS[1])
if not inc then return refuse('not_found') end
if inc.status == 'RESOLVED' then return refuse('resolved', inc.resolved_by, inc.resolved_at) end
if inc.severity == sev then return refuse('unchanged', sev) end
redis.call('HSET', KEYS[1], 'severity', sev)
local ev = emit(KEYS[1], KEYS[2], KEYS[3], inc.id, 'incident.severity_changed', actor, now,
  {severity = sev, previous = inc.severity})
return {'ok', ev}
