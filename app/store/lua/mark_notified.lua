-- Raises the incident's applied-event mark; never lowers it. KEYS: notified string  ARGV: seq
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > cur then redis.call('SET', KEYS[1], ARGV[1], 'KEEPTTL') end
-- KEEPTTL: a resolved incident's mark expires with its other helper keys (resolve.lua)
return cur
