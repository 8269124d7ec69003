-- Fires an SLA timer once. KEYS: incident, timeline, events, timers zset, timer hash
-- ARGV: now, timer_id, kind (ack|resolve), minutes, epoch (the reopen it was armed for, or '')
local now, timer_id, kind, epoch = ARGV[1], ARGV[2], ARGV[3], ARGV[5] or ''

-- claimed before a severity change moved it to other minutes: the re-armed timer stays
local armed = redis.call('HGET', KEYS[5], 'minutes')
if armed and armed ~= ARGV[4] then return refuse('stale', 'moved') end
redis.call('ZREM', KEYS[4], timer_id)
redis.call('DEL', KEYS[5])
local inc = load_incident(KEYS[1])
if not inc then return refuse('not_found') end
local flag = 'sla_' .. kind .. '_breached'
if (inc.epoch or '') ~= epoch then return refuse('stale', 'reopened') end
if inc[flag] == '1' then return refuse('stale', 'already') end
if inc.status == 'RESOLVED' or (kind == 'ack' and inc.status ~= 'TRIGGERED') then
  return refuse('stale', 'met')
end
redis.call('HSET', KEYS[1], flag, '1')
local ev = emit(KEYS[1], KEYS[2], KEYS[3], inc.id, 'incident.sla_breached', 'beacon', now,
  {kind = kind, minutes = tonumber(ARGV[4])})
return {'ok', ev}
