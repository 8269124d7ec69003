-- Takes a lease, or renews it when this owner already holds it (e.g. an unlock was lost
-- while Redis was away). KEYS: lock   ARGV: owner, ttl_ms
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
