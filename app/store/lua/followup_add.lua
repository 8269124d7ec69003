-- A follow-up item on an incident, open or resolved.
-- KEYS: incident, timeline, events, follow-up hash, incident follow-ups zset, open zset
-- ARGV: now, actor, follow-up id, its number, text
local now, actor, fid, number, text = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local inc = load_incident(KEYS[1])
if not inc then return refuse('not_found') end
if redis.call('EXISTS', KEYS[4]) == 1 then return refuse('exists') end
redis.call('HSET', KEYS[4], 'id', fid, 'incident_id', inc.id, 'text', text, 'status', 'open',
  'created_by', actor, 'created_at', now)
redis.call('ZADD', KEYS[5], number, fid)
redis.call('ZADD', KEYS[6], number, fid)
local ev = emit(KEYS[1], KEYS[2], KEYS[3], inc.id, 'incident.followup_added', actor, now,
  {followup_id = fid, text = text})
return {'ok', ev}
