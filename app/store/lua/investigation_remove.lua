-- Removes an investigation result past retention, with every key of it, in one step. The
-- feedback totals and day counts keep its votes: they are history, not the result.
-- KEYS: investigation hash, timeline, votes hash, messages hash, notified string, created zset
-- ARGV: investigation id, before
local id, before = ARGV[1], ARGV[2]
local inv = load_incident(KEYS[1])
if inv and tonumber(inv.created_at or '0') >= tonumber(before) then return 0 end
redis.call('ZREM', KEYS[6], id)
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5])
if inv then return 1 end
return 0
