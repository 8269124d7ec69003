-- A new investigation result to post.
-- KEYS: investigation hash, timeline, events, created zset (retention)
-- ARGV: now, actor, field/value pairs
local now, actor = ARGV[1], ARGV[2]
if redis.call('EXISTS', KEYS[1]) == 1 then return refuse('exists') end
local fields = {}
for i = 3, #ARGV, 2 do
  if ARGV[i + 1] ~= '' then
    table.insert(fields, ARGV[i]); table.insert(fields, ARGV[i + 1])
  end
end
redis.call('HSET', KEYS[1], 'created_at', now, 'posted_by', actor, 'seq', 0,
  'votes_accurate', 0, 'votes_partially_accurate', 0, 'votes_needs_improvement', 0,
  unpack(fields))
local inv = load_incident(KEYS[1])
redis.call('ZADD', KEYS[4], now, inv.id)
local ev = emit(KEYS[1], KEYS[2], KEYS[3], inv.id, 'investigation.posted', actor, now, {})
return {'ok', ev}
