-- KEYS: incident, timeline, events   ARGV: now, actor, severity, index prefix
local now, actor, sev, P = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local inc = load_incident(KEYS[1])
if not inc then return refuse('not_found') end
if inc.status == 'RESOLVED' then return refuse('resolved', inc.resolved_by, inc.resolved_at) end
if inc.severity == sev then return refuse('unchanged', sev) end
redis.call('HSET', KEYS[1], 'severity', sev)
reindex(P, inc, KEYS[1])
stats_add(P, inc, now, 'sev:' .. inc.severity, -1)
stats_add(P, inc, now, 'sev:' .. sev, 1)
local ev = emit(KEYS[1], KEYS[2], KEYS[3], inc.id, 'incident.severity_changed', actor, now,
  {severity = sev, previous = inc.severity})
return {'ok', ev}
