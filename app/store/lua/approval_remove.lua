-- Removes a decided or expired approval past retention, with every key of it, in one step.
-- A pending one is never removed (it is not in the decided set; a stray entry just goes).
-- KEYS: approval hash, timeline, approvers set, messages hash, notified string,
--       expire timer hash, callback timer hash, timers zset, pending zset, decided zset
-- ARGV: approval id, before, expire timer id, callback timer id
local id, before, expire_timer, callback_timer = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local apr = load_incident(KEYS[1])
if apr and (apr.status == 'PENDING' or not apr.decided_at) then
  redis.call('ZREM', KEYS[10], id)
  return 0
end
if apr and tonumber(apr.decided_at) >= tonumber(before) then return 0 end
-- A callback still retrying this long after the decision is given up with the approval.
redis.call('ZREM', KEYS[8], expire_timer, callback_timer)
redis.call('ZREM', KEYS[9], id)
redis.call('ZREM', KEYS[10], id)
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7])
if apr then return 1 end
return 0
