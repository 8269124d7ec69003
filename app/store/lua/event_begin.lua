-- The notifier may apply an event: it is the incident's next one and nobody else is applying
-- one of its events. Takes the incident's lease when so.
-- KEYS: notified string, lock, [incident hash]   ARGV: seq, owner, ttl_ms
-- Returns {'apply', incident fields...} (the incident as the handlers start from, read in the
-- same call), {'done'} (applied before: acknowledge it) or {'wait'} (an earlier event first,
-- or another instance holds the incident).
local notified = tonumber(redis.call('GET', KEYS[1]) or '0')
local seq = tonumber(ARGV[1])
if seq <= notified then return {'done'} end
if seq > notified + 1 then return {'wait'} end
if not redis.call('SET', KEYS[2], ARGV[2], 'NX', 'PX', ARGV[3]) then
  if redis.call('GET', KEYS[2]) ~= ARGV[2] then return {'wait'} end
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
end
if not KEYS[3] then return {'apply'} end
local out = redis.call('HGETALL', KEYS[3])
table.insert(out, 1, 'apply')
return out
