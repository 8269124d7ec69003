-- Removes a resolved incident that is past retention, writing its archive entry in the same
-- step, so it is never both gone and unarchived. A reopen since it was read leaves it be.
-- KEYS: incident, timeline, archive hash, open follow-ups zset, then every other key of the
--       incident to delete (messages, notified, pinned, runbooks, follow-ups, channel…)
-- ARGV: index prefix, incident id, resolved_at as read, archive entry, its follow-up ids…
local P, id, resolved_at, entry = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local inc = load_incident(KEYS[1])
if not inc then
  redis.call('ZREM', ix(P, 'incidents', 'resolved_at', 'zset'), id)  -- a stray index entry
  redis.call('ZREM', ix(P, 'incidents', 'resolved', 'zset'), id)
  return 0
end
if inc.status ~= 'RESOLVED' or inc.resolved_at ~= resolved_at then return 0 end
redis.call('HSET', KEYS[3], id, entry)
redis.call('ZADD', ix(P, 'incidents', 'archived_at', 'zset'), tonumber(resolved_at), id)
index_drop(P, inc)
redis.call('ZREM', ix(P, 'incidents', 'all', 'zset'), id)
for i = 5, #ARGV do redis.call('ZREM', KEYS[4], ARGV[i]) end
for i = 5, #KEYS do redis.call('DEL', KEYS[i]) end
redis.call('DEL', KEYS[1], KEYS[2])
return 1
