-- Gives a role (commander, scribe...) of an open incident to someone.
-- KEYS: incident, timeline, events   ARGV: now, actor, role, user
local now, actor, role, user = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local inc = load_incident(KEYS[1])
if not inc then return refuse('not_found') end
if inc.status == 'RESOLVED' then return refuse('resolved', inc.resolved_by, inc.resolved_at) end
local previous = inc['role:' .. role] or ''
if previous == user then return refuse('holder', user) end
redis.call('HSET', KEYS[1], 'role:' .. role, user)
local ev = emit(KEYS[1], KEYS[2], KEYS[3], inc.id, 'incident.role_assigned', actor, now,
  {role = role, user = user, previous = previous})
return {'ok', ev}
