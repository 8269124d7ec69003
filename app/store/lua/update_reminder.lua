-- A due "post a status update" timer. Reminds only when no update was posted in
-- the last period, and arms the next reminder either way while the incident is open.
-- KEYS: incident, timeline, events, timers zset, this timer hash, next timer hash
-- ARGV: now, timer id, next timer id, minutes
local now, timer_id, next_id, minutes = tonumber(ARGV[1]), ARGV[2], ARGV[3], tonumber(ARGV[4])
redis.call('ZREM', KEYS[4], timer_id)
redis.call('DEL', KEYS[5])
local inc = load_incident(KEYS[1])
if not inc then return refuse('not_found') end
if inc.status == 'RESOLVED' then return refuse('resolved') end
local last = tonumber(inc.last_update_at or inc.created_at)
local due = last + minutes * 60
local ev = nil
if now >= due then
  ev = emit(KEYS[1], KEYS[2], KEYS[3], inc.id, 'incident.update_reminder', 'beacon', ARGV[1],
    {minutes = minutes, since = now - last})
  due = now + minutes * 60
end
redis.call('ZADD', KEYS[4], due, next_id)
redis.call('HSET', KEYS[6], 'kind', 'update_reminder', 'incident_id', inc.id,
  'minutes', tostring(minutes), 'due', tostring(due))
if ev then return {'ok', ev} end
return refuse('not_due')
