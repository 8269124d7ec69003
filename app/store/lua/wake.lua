-- Fires a snooze wake-up timer once. KEYS: incident, timeline, events, timers zset, timer hash
-- ARGV: now, timer_id
local now, timer_id = ARGV[1], ARGV[2]
local due = redis.call('HGET', KEYS[5], 'due')
redis.call('ZREM', KEYS[4], timer_id)
redis.call('DEL', KEYS[5])
local inc = load_incident(KEYS[1])
if not inc or not due then return refuse('stale') end
-- A later snooze or a resolve replaced this timer: nothing to wake.
if inc.status == 'RESOLVED' or inc.snoozed_until ~= due then return refuse('stale') end
redis.call('HDEL', KEYS[1], 'snoozed_until', 'snoozed_by')
local ev = emit(KEYS[1], KEYS[2], KEYS[3], inc.id, 'incident.unsnoozed', 'beacon', now,
  {assignee = inc.assignee or ''})
return {'ok', ev}
