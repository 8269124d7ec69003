-- KEYS: incident, timeline, events, timers zset, timer hash
-- ARGV: now, actor, until, timer_id
local now, actor, untl, timer_id = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local inc = load_incident(KEYS[1])
if not inc then return refuse('not_found') end
if inc.status == 'RESOLVED' then return refuse('resolved', inc.resolved_by, inc.resolved_at) end
if tonumber(untl) <= tonumber(now) then return refuse('past') end
redis.call('HSET', KEYS[1], 'snoozed_until', untl, 'snoozed_by', actor)
redis.call('HSET', KEYS[5], 'kind', 'snooze_wake', 'incident_id', inc.id, 'due', untl)
redis.call('ZADD', KEYS[4], untl, timer_id)
local ev = emit(KEYS[1], KEYS[2], KEYS[3], inc.id, 'incident.snoozed', actor, now,
  {['until'] = tonumber(untl)})
return {'ok', ev}
