-- A new approval request, its approvers, and the timer that expires it.
-- KEYS: approval hash, timeline, events, approvers set, timers zset, expire timer hash,
--       pending zset
-- ARGV: now, requested_by, expires_at, expire_timer_id, n, approver x n, field/value pairs
local now, actor, expires_at, timer_id = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
if redis.call('EXISTS', KEYS[1]) == 1 then return refuse('exists') end
local n = tonumber(ARGV[5])
if n < 1 then return refuse('no_approvers') end
for i = 6, 5 + n do redis.call('SADD', KEYS[4], ARGV[i]) end
local fields = {}
for i = 6 + n, #ARGV, 2 do
  if ARGV[i + 1] ~= '' then
    table.insert(fields, ARGV[i]); table.insert(fields, ARGV[i + 1])
  end
end
redis.call('HSET', KEYS[1], 'status', 'PENDING', 'created_at', now, 'requested_by', actor,
  'expires_at', expires_at, 'seq', 0, unpack(fields))
local apr = load_incident(KEYS[1])
redis.call('HSET', KEYS[6], 'kind', 'approval_expire', 'approval_id', apr.id, 'due', expires_at)
redis.call('ZADD', KEYS[5], expires_at, timer_id)
redis.call('ZADD', KEYS[7], expires_at, apr.id)
local ev = emit(KEYS[1], KEYS[2], KEYS[3], apr.id, 'approval.requested', actor, now,
  {risk = apr.risk, approvers = n})
return {'ok', ev}
