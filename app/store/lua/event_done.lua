-- The notifier applied an event: raise the incident's mark, acknowledge the stream entry and
-- release the incident's lease, in one step.
-- KEYS: notified string, events stream, lock
-- ARGV: seq, group, stream id, owner, seconds the mark lives ('' or absent = as it is)
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
local ttl = tonumber(ARGV[5] or '') or 0
if ttl > 0 then
  -- Only for ids with exactly one event (the daily digest): nothing waits on the mark later.
  if tonumber(ARGV[1]) > cur then redis.call('SET', KEYS[1], ARGV[1], 'EX', ttl) end
elseif tonumber(ARGV[1]) > cur then
  -- KEEPTTL: a resolved incident's mark expires with its other helper keys (resolve.lua)
  redis.call('SET', KEYS[1], ARGV[1], 'KEEPTTL')
end
redis.call('XACK', KEYS[2], ARGV[2], ARGV[3])
if redis.call('GET', KEYS[3]) == ARGV[4] then redis.call('DEL', KEYS[3]) end
return 1
