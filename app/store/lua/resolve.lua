-- KEYS: incident, timeline, events, open zset, messages hash, notified string, pinned set
--       [, dedup string]
-- ARGV: now, actor, note, index prefix, seconds to keep the helper keys (the reopen window)
local now, actor, note, P, keep = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local inc = load_incident(KEYS[1])
if not inc then return refuse('not_found') end
if inc.status == 'RESOLVED' then return refuse('resolved', inc.resolved_by, inc.resolved_at) end
redis.call('HSET', KEYS[1], 'status', 'RESOLVED', 'resolved_by', actor, 'resolved_at', now,
  'resolution_note', note)
redis.call('HDEL', KEYS[1], 'snoozed_until', 'snoozed_by')
reindex(P, inc, KEYS[1])  -- out of the open set (KEYS[4]) and its kin
-- KEYS[8] (optional): the dedup key; the next alert with it declares a new incident.
if KEYS[8] and redis.call('GET', KEYS[8]) == inc.id then redis.call('DEL', KEYS[8]) end
-- Keys that only matter while it is open go after the reopen window (reopen.lua keeps them).
for i = 5, 7 do redis.call('EXPIRE', KEYS[i], keep) end
local duration = tonumber(now) - tonumber(inc.created_at)
stats_add(P, inc, now, 'res_n', 1)
stats_add(P, inc, now, 'res_sum', duration)
local ev = emit(KEYS[1], KEYS[2], KEYS[3], inc.id, 'incident.resolved', actor, now,
  {duration = duration, note = note})
return {'ok', ev}
