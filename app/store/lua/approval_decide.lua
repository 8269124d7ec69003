-- Exactly one decision: the first approver's click wins, every later one is refused.
-- KEYS: approval hash, timeline, events, approvers set, timers zset, expire timer hash,
--       callback timer hash, pending zset, decided zset (retention)
-- ARGV: now, actor, decision (APPROVED|DENIED), reason, allow_self ('1' or ''),
--       expire_timer_id, callback_timer_id
local now, actor, decision, reason = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local allow_self, expire_timer, callback_timer = ARGV[5], ARGV[6], ARGV[7]
local apr = load_incident(KEYS[1])
if not apr then return refuse('not_found') end
if apr.status ~= 'PENDING' then
  return refuse(string.lower(apr.status), apr.decided_by or '', apr.decided_at or '')
end
if tonumber(now) >= tonumber(apr.expires_at) then
  return refuse('expired', '', apr.expires_at)
end
if redis.call('SISMEMBER', KEYS[4], actor) == 0 then return refuse('not_approver') end
if actor == apr.requested_by and decision == 'APPROVED' and allow_self ~= '1' then
  return refuse('self_approval')
end
redis.call('HSET', KEYS[1], 'status', decision, 'decided_by', actor, 'decided_at', now)
if reason ~= '' then redis.call('HSET', KEYS[1], 'reason', reason) end
redis.call('ZREM', KEYS[5], expire_timer)
redis.call('DEL', KEYS[6])
redis.call('ZREM', KEYS[8], apr.id)
redis.call('ZADD', KEYS[9], now, apr.id)
if apr.callback_url and apr.callback_url ~= '' then
  redis.call('HSET', KEYS[7], 'kind', 'approval_callback', 'approval_id', apr.id,
    'attempt', 1, 'due', now)
  redis.call('ZADD', KEYS[5], now, callback_timer)
  redis.call('HSET', KEYS[1], 'callback_status', 'pending')
end
local ev = emit(KEYS[1], KEYS[2], KEYS[3], apr.id, 'approval.decided', actor, now,
  {status = decision, reason = reason})
return {'ok', ev}
