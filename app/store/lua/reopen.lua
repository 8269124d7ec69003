-- Reopens a resolved incident (issue 7). KEYS: incident, timeline, events, open zset
-- ARGV: now, actor
local now, actor = ARGV[1], ARGV[2]
local inc = load_incident(KEYS[1])
if not inc then return refuse('not_found') end
if inc.status ~= 'RESOLVED' then return refuse('not_resolved', inc.status) end
local status = 'TRIGGERED'
if inc.acknowledged_at and inc.acknowledged_at ~= '' then status = 'ACKNOWLEDGED' end
redis.call('HSET', KEYS[1], 'status', status)
redis.call('HDEL', KEYS[1], 'resolved_by', 'resolved_at', 'resolution_note')
redis.call('ZADD', KEYS[4], inc.created_at, inc.id)
local ev = emit(KEYS[1], KEYS[2], KEYS[3], inc.id, 'incident.reopened', actor, now,
  {resolved_by = inc.resolved_by or '', resolved_at = tonumber(inc.resolved_at)})
return {'ok', ev}
