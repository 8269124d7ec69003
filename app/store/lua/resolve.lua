-- KEYS: incident, timeline, events, open zset, messages hash, notified string, pinned set
--       [, dedup string] [, envelope fingerprint string]
-- ARGV: now, actor, note, index prefix, seconds to keep the helper keys (the reopen window),
--       [fingerprint TTL s: given, the last key is the envelope's]
local now, actor, note, P, keep = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local envelope = ARGV[6] and ARGV[6] ~= '' and KEYS[#KEYS] or nil
local dedup = KEYS[8] ~= envelope and KEYS[8] or nil
if repeated(envelope, ARGV[6]) then return {'repeated'} end
local inc = load_incident(KEYS[1])
if not inc then return refuse('not_found') end
if inc.status == 'RESOLVED' then return refuse('resolved', inc.resolved_by, inc.resolved_at) end
redis.call('HSET', KEYS[1], 'status', 'RESOLVED', 'resolved_by', actor, 'resolved_at', now,
  'resolution_note', note)
redis.call('HDEL', KEYS[1], 'snoozed_until', 'snoozed_by')
reindex(P, inc, KEYS[1])  -- out of the open set (KEYS[4]) and its kin
-- The dedup key (optional): the next alert with it declares a new incident.
if dedup and redis.call('GET', dedup) == inc.id then redis.call('DEL', dedup) end
-- Keys that only matter while it is open go after the reopen window (reopen.lua keeps them).
for i = 5, 7 do redis.call('EXPIRE', KEYS[i], keep) end
local duration = tonumber(now) - tonumber(inc.created_at)
stats_add(P, inc, now, 'res_n', 1)
stats_add(P, inc, now, 'res_sum', duration)
local ev = emit(KEYS[1], KEYS[2], KEYS[3], inc.id, 'incident.resolved', actor, now,
  {duration = duration, note = note})
return {'ok', ev}
