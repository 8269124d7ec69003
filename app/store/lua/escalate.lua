-- Fires an escalation timer once.
-- KEYS: incident, timeline, events, timers zset, this timer hash, next timer hash
-- ARGV: now, timer_id, from_level, from_round, to_level, to_round, next_timer_id, next_due,
-- epoch (the reopen the timer belongs to; '' before any reopen), actor (who asked: a person's
-- Escalate now; 'beacon' when the timer fired)
local now, timer_id, epoch = ARGV[1], ARGV[2], ARGV[9] or ''
local actor = (ARGV[10] and ARGV[10] ~= '') and ARGV[10] or 'beacon'

redis.call('ZREM', KEYS[4], timer_id)
redis.call('DEL', KEYS[5])
local inc = load_incident(KEYS[1])
if not inc then return refuse('not_found') end
if inc.status ~= 'TRIGGERED' then return refuse('stale', inc.status) end
if (inc.esc_level or '') ~= ARGV[3] or (inc.esc_round or '') ~= ARGV[4]
  or (inc.epoch or '') ~= epoch then
  return refuse('stale', 'moved')
end
if inc.snoozed_until and tonumber(inc.snoozed_until) > tonumber(now) then
  return refuse('snoozed')  -- the wake-up re-arms escalation
end
if ARGV[5] == '' then
  redis.call('HSET', KEYS[1], 'esc_done', '1')
  return refuse('exhausted')
end
redis.call('HSET', KEYS[1], 'esc_level', ARGV[5], 'esc_round', ARGV[6])
if ARGV[7] ~= '' then
  redis.call('ZADD', KEYS[4], ARGV[8], ARGV[7])
  redis.call('HSET', KEYS[6], 'kind', 'escalate', 'incident_id', inc.id,
    'from_level', ARGV[5], 'from_round', ARGV[6], 'due', ARGV[8], 'epoch', epoch)
end
local ev = emit(KEYS[1], KEYS[2], KEYS[3], inc.id, 'incident.escalated', actor, now,
  {level = tonumber(ARGV[5]), ['round'] = tonumber(ARGV[6]), from_level = tonumber(ARGV[3])})
return {'ok', ev}
