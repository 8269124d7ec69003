-- Fired by the scheduler's approval_expire timer: a request nobody decided in time.
-- KEYS: approval hash, timeline, events, timers zset, expire timer hash, callback timer hash,
--       pending zset, decided zset (retention)
-- ARGV: now, expire_timer_id, callback_timer_id
local now, timer_id, callback_timer = ARGV[1], ARGV[2], ARGV[3]
local apr = load_incident(KEYS[1])
if not apr or apr.status ~= 'PENDING' then
  redis.call('ZREM', KEYS[4], timer_id)
  redis.call('DEL', KEYS[5])
  if not apr then return refuse('not_found') end
  return refuse(string.lower(apr.status), apr.decided_by or '', apr.decided_at or '')
end
if tonumber(now) < tonumber(apr.expires_at) then
  -- Fired early (another instance's clock): put it back for the right time.
  redis.call('ZADD', KEYS[4], apr.expires_at, timer_id)
  return refuse('not_due')
end
redis.call('HSET', KEYS[1], 'status', 'EXPIRED', 'decided_at', now)
redis.call('ZREM', KEYS[4], timer_id)
redis.call('DEL', KEYS[5])
redis.call('ZREM', KEYS[7], apr.id)
redis.call('ZADD', KEYS[8], now, apr.id)
if apr.callback_url and apr.callback_url ~= '' then
  redis.call('HSET', KEYS[6], 'kind', 'approval_callback', 'approval_id', apr.id,
    'attempt', 1, 'due', now)
  redis.call('ZADD', KEYS[4], now, callback_timer)
  redis.call('HSET', KEYS[1], 'callback_status', 'pending')
end
local ev = emit(KEYS[1], KEYS[2], KEYS[3], apr.id, 'approval.expired', 'beacon', now, {})
return {'ok', ev}
