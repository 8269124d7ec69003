-- Announces one day's digest once. KEYS: digest hash, timeline, events, timers, timer hash
-- ARGV: now, timer_id, digest_id
local now, timer_id, digest_id = ARGV[1], ARGV[2], ARGV[3]
redis.call('ZREM', KEYS[4], timer_id)
redis.call('DEL', KEYS[5])
if redis.call('HSETNX', KEYS[1], 'id', digest_id) == 0 then return refuse('stale') end
redis.call('EXPIRE', KEYS[1], 8 * 86400)
redis.call('EXPIRE', KEYS[2], 8 * 86400)
local ev = emit(KEYS[1], KEYS[2], KEYS[3], digest_id, 'digest.due', 'beacon', now, {})
return {'ok', ev}
