-- A due "roles still unclaimed" timer: fires once, and only while the incident is
-- open, of a nudged severity, with a role nobody holds.
-- KEYS: incident, timeline, events, timers zset, this timer hash
-- ARGV: now, timer id, nudged severities (comma separated), role names...
local now, timer_id, severities = ARGV[1], ARGV[2], ',' .. ARGV[3] .. ','
redis.call('ZREM', KEYS[4], timer_id)
redis.call('DEL', KEYS[5])
local inc = load_incident(KEYS[1])
if not inc then return refuse('not_found') end
if inc.status == 'RESOLVED' then return refuse('resolved') end
if not string.find(severities, ',' .. inc.severity .. ',', 1, true) then
  return refuse('severity', inc.severity)
end
local free = {}
for i = 4, #ARGV do
  local holder = inc['role:' .. ARGV[i]]
  if not holder or holder == '' then free[#free + 1] = ARGV[i] end
end
if #free == 0 then return refuse('all_claimed') end
-- the nudge comes once per incident, even when a raised severity armed a second timer
if inc.roles_nudged == '1' then return refuse('nudged') end
redis.call('HSET', KEYS[1], 'roles_nudged', '1')
local ev = emit(KEYS[1], KEYS[2], KEYS[3], inc.id, 'incident.roles_unclaimed', 'beacon', now,
  {roles = free})
return {'ok', ev}
