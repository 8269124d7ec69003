-- One vote per person per result; a changed vote replaces the old one everywhere it counts.
-- KEYS: investigation hash, timeline, events, votes hash, totals hash, today's day hash,
--       the day hash of this person's previous vote (as the caller read it)
-- A day hash expires DAY_TTL after its last vote: stats read at most the last 90 days
-- (STATS_DAYS_MAX in app/domain/investigations.py), so 120 keeps every day that can be read,
-- with room for clocks and time zones, and drops the rest.
local DAY_TTL = 120 * 86400
-- ARGV: now, actor, rating, today (YYYY-MM-DD), the previous vote's day as read ('' = none)
local now, actor, rating, today, seen_day = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local inv = load_incident(KEYS[1])
if not inv then return refuse('not_found') end
local old = redis.call('HGET', KEYS[4], actor)
local previous = ''
if old then
  local old_rating, old_day = string.match(old, '^(%S+) (%S+)$')
  if old_rating == rating then return refuse('unchanged', rating) end
  -- The caller passed KEYS[7] for the day it read; a vote changed since means read again.
  if old_day ~= seen_day then return refuse('stale', old_day) end
  previous = old_rating
  redis.call('HINCRBY', KEYS[1], 'votes_' .. old_rating, -1)
  redis.call('HINCRBY', KEYS[5], old_rating, -1)
  -- An expired day is gone from the stats already: never recreate it without a TTL.
  if redis.call('EXISTS', KEYS[7]) == 1 then redis.call('HINCRBY', KEYS[7], old_rating, -1) end
elseif seen_day ~= '' then
  return refuse('stale', '')
end
redis.call('HSET', KEYS[4], actor, rating .. ' ' .. today)
redis.call('HINCRBY', KEYS[1], 'votes_' .. rating, 1)
redis.call('HINCRBY', KEYS[5], rating, 1)
redis.call('HINCRBY', KEYS[6], rating, 1)
redis.call('EXPIRE', KEYS[6], DAY_TTL)
local ev = emit(KEYS[1], KEYS[2], KEYS[3], inv.id, 'investigation.voted', actor, now,
  {rating = rating, previous = previous})
return {'ok', ev}
