-- Renews a lease only if this owner still holds it. KEYS: lock   ARGV: owner, ttl_ms
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
