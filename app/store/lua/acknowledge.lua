-- KEYS: incident, timeline, events   ARGV: now, actor, [bulk batch id, batch size]
local now, actor = ARGV[1], ARGV[2]
local inc = load_incident(KEYS[1])
if not inc then return refuse('not_found') end
if inc.status == 'RESOLVED' then return refuse('resolved', inc.resolved_by, inc.resolved_at) end
if inc.status == 'ACKNOWLEDGED' then
  return refuse('acknowledged', inc.acknowledged_by, inc.acknowledged_at)
end
redis.call('HSET', KEYS[1], 'status', 'ACKNOWLEDGED', 'acknowledged_by', actor,
  'acknowledged_at', now)
if not inc.assignee or inc.assignee == '' then
  redis.call('HSET', KEYS[1], 'assignee', actor)
end
local data = {since_trigger = tonumber(now) - tonumber(inc.created_at)}
if ARGV[3] and ARGV[3] ~= '' then  -- one of many acknowledged at once (a storm rollup)
  data.bulk = ARGV[3]
  data.of = tonumber(ARGV[4])
end
local ev = emit(KEYS[1], KEYS[2], KEYS[3], inc.id, 'incident.acknowledged', actor, now, data)
return {'ok', ev}
