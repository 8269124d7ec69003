-- KEYS: incident, timeline, events, timers zset, timer hash
-- ARGV: now, actor, until, timer_id, resolve_by (the resolve SLA's deadline, '' when none)
-- Only an acknowledged incident can be snoozed: a snooze silences paging, so someone must own
-- the incident first (the refusal tells how to acknowledge).
local now, actor, untl, timer_id = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local resolve_by = tonumber(ARGV[5] or '')
local inc = load_incident(KEYS[1])
if not inc then return refuse('not_found') end
if inc.status == 'RESOLVED' then return refuse('resolved', inc.resolved_by, inc.resolved_at) end
if inc.status == 'TRIGGERED' then return refuse('not_acknowledged') end
if tonumber(untl) <= tonumber(now) then return refuse('past') end
redis.call('HSET', KEYS[1], 'snoozed_until', untl, 'snoozed_by', actor)
redis.call('HSET', KEYS[5], 'kind', 'snooze_wake', 'incident_id', inc.id, 'due', untl)
redis.call('ZADD', KEYS[4], untl, timer_id)
local data = {['until'] = tonumber(untl), seconds = tonumber(untl) - tonumber(now)}
if resolve_by then data.resolve_by = resolve_by end
local ev = emit(KEYS[1], KEYS[2], KEYS[3], inc.id, 'incident.snoozed', actor, now, data)
return {'ok', ev}
