-- KEYS: incident, timeline, events, [envelope fingerprint ('' for none), [answers stream]]
-- ARGV: now, actor, index prefix, bulk batch id ('' when one click), size, fingerprint TTL s,
--       [the asker's answer (JSON) to tell a refusal to, incident id]
local now, actor, P = ARGV[1], ARGV[2], ARGV[3]
if repeated(KEYS[4], ARGV[6]) then return {'repeated'} end
local function refused(code, by, at) return refuse_to(KEYS[5], ARGV[7], ARGV[8], code, by, at) end
local inc = load_incident(KEYS[1])
if not inc then return refused('not_found') end
if inc.status == 'RESOLVED' then return refused('resolved', inc.resolved_by, inc.resolved_at) end
if inc.status == 'ACKNOWLEDGED' then
  return refused('acknowledged', inc.acknowledged_by, inc.acknowledged_at)
end
redis.call('HSET', KEYS[1], 'status', 'ACKNOWLEDGED', 'acknowledged_by', actor,
  'acknowledged_at', now)
if not inc.assignee or inc.assignee == '' then
  redis.call('HSET', KEYS[1], 'assignee', actor)
end
reindex(P, inc, KEYS[1])
local created = tonumber(inc.created_at)
if inc.acknowledged_at and inc.acknowledged_at ~= '' then  -- again, after a reopen
  stats_add(P, inc, now, 'ack_sum', created - tonumber(inc.acknowledged_at))
else
  stats_add(P, inc, now, 'ack_n', 1)
end
stats_add(P, inc, now, 'ack_sum', tonumber(now) - created)
local data = {since_trigger = tonumber(now) - created}
if ARGV[4] ~= '' then  -- one of many acknowledged at once (a storm rollup)
  data.bulk = ARGV[4]
  data.of = tonumber(ARGV[5])
end
local ev = emit(KEYS[1], KEYS[2], KEYS[3], inc.id, 'incident.acknowledged', actor, now, data)
return {'ok', ev}
