-- Raises the incident's applied-event mark; never lowers it.
-- KEYS: notified string  ARGV: seq, seconds the mark lives ('' or absent = as it is)
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
local ttl = tonumber(ARGV[2] or '') or 0
if tonumber(ARGV[1]) > cur then
  if ttl > 0 then redis.call('SET', KEYS[1], ARGV[1], 'EX', ttl)  -- one-event ids (digest)
  -- KEEPTTL: a resolved incident's mark expires with its other helper keys (resolve.lua)
  else redis.call('SET', KEYS[1], ARGV[1], 'KEEPTTL') end
end
return cur
