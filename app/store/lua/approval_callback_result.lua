-- Records one callback attempt: delivered, retry later (backoff), or given up.
-- KEYS: approval hash, timers zset, callback timer hash
-- ARGV: outcome (delivered|retry|failed), callback_timer_id, next_due, next_attempt, detail
local outcome, timer_id, next_due, attempt, detail = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
if outcome == 'retry' then
  redis.call('HSET', KEYS[3], 'attempt', attempt, 'due', next_due)
  redis.call('ZADD', KEYS[2], next_due, timer_id)
  redis.call('HSET', KEYS[1], 'callback_status', 'retrying', 'callback_error', detail)
  return 1
end
redis.call('ZREM', KEYS[2], timer_id)
redis.call('DEL', KEYS[3])
redis.call('HSET', KEYS[1], 'callback_status', outcome, 'callback_error', detail)
return 1
