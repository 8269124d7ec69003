-- Leases due timers to one instance. KEYS: timers zset   ARGV: now, lease_seconds, limit
-- A claimed timer is pushed lease_seconds ahead; the firing script deletes it. If the
-- claimer dies, the lease runs out and another instance fires it.
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(due) do
  redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[2]), id)
end
return due
