-- Marks a follow-up done, once.
-- KEYS: incident, timeline, events, follow-up hash, open zset   ARGV: now, actor, follow-up id
local now, actor, fid = ARGV[1], ARGV[2], ARGV[3]
local item = load_incident(KEYS[4])
if not item then return refuse('not_found') end
if item.status == 'done' then return refuse('done', item.done_by, item.done_at) end
local inc = load_incident(KEYS[1])
if not inc then return refuse('not_found') end
redis.call('HSET', KEYS[4], 'status', 'done', 'done_by', actor, 'done_at', now)
redis.call('ZREM', KEYS[5], fid)
local ev = emit(KEYS[1], KEYS[2], KEYS[3], inc.id, 'incident.followup_done', actor, now,
  {followup_id = fid, text = item.text})
return {'ok', ev}
