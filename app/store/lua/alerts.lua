-- An Alertmanager notification for one group (or one alert), in one step: the dedup check,
-- declaring (the number taken only then) or updating the open incident's alert list, and the
-- event saying what changed.
-- KEYS: events stream, open zset, dedup string
-- ARGV: now, actor, index prefix, alerts the card lists, not shown, truncated, closing (1/0),
--       n, n field/value parts of the incident to declare, then the alerts as JSON:
--       [{f = fingerprint, s = 'firing'|'resolved', a = startsAt as sent, t, e = epochs, n = name}]
-- Returns {'ok', event id, incident id, created 1/0, firing, resolved, action per alert…}
local now, actor, P = ARGV[1], ARGV[2], ARGV[3]
local listed, not_shown, truncated = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local closing = ARGV[7] == '1'
local nf = tonumber(ARGV[8])
local fields = {}
for i = 9, 8 + nf do table.insert(fields, ARGV[i]) end
local alerts = cjson.decode(ARGV[9 + nf])

local inc, key, timeline
local open_id = redis.call('GET', KEYS[3])
if open_id and redis.call('ZSCORE', KEYS[2], open_id) then
  key, timeline = ix(P, 'incident', open_id, 'hash'), ix(P, 'incident', open_id, 'timeline', 'list')
  inc = load_incident(key)
end
local created = inc == nil
if created then
  local firing = 0
  for _, a in ipairs(alerts) do if a.s == 'firing' then firing = firing + 1 end end
  if firing == 0 then return refuse('no_open') end  -- resolved news of nothing open
  inc, key, timeline = create_incident(P, now, actor, fields, firing)
  if not inc then return refuse('exists', key) end
  redis.call('SET', KEYS[3], inc.id)
end
local id = inc.id
local details = ix(P, 'incident', id, 'alerts', 'hash')
local on = ix(P, 'incident', id, 'alerts', 'firing', 'zset')
local off = ix(P, 'incident', id, 'alerts', 'resolved', 'zset')

local NAMES = 5  -- names an event carries per kind of change; the rest are counted
local said = {joined = {}, refired = {}, resolved = {}}
local counts = {joined = 0, refired = 0, resolved = 0}
local function note(kind, name)
  counts[kind] = counts[kind] + 1
  if #said[kind] < NAMES then table.insert(said[kind], name) end
end

local actions = {}
for _, a in ipairs(alerts) do
  local raw = redis.call('HGET', details, a.f)
  local was = raw and cjson.decode(raw)
  local action
  if a.s == 'firing' then
    if not was then
      action = created and 'declared' or 'joined'
      if not created then note('joined', a.n) end
    elseif was.a ~= a.a then  -- a new startsAt: it fired again
      action = 'refired'; note('refired', a.n)
    else  -- the same startsAt: Alertmanager repeating itself
      action = 'repeat'
    end
    redis.call('ZREM', off, a.f)
    if action ~= 'repeat' or not redis.call('ZSCORE', on, a.f) then
      redis.call('ZADD', on, redis.call('HINCRBY', key, 'am_order', 1), a.f)
    end
  else
    if was and was.s == 'firing' then note('resolved', a.n) end
    action = (was and was.s == 'resolved') and 'repeat' or 'resolved'
    redis.call('ZREM', on, a.f)
    if not redis.call('ZSCORE', off, a.f) then
      redis.call('ZADD', off, redis.call('HINCRBY', key, 'am_order', 1), a.f)
    end
  end
  redis.call('HSET', details, a.f, cjson.encode({n = a.n, s = a.s, a = a.a, t = a.t, e = a.e,
    seen = tonumber(now)}))
  table.insert(actions, action)
end

-- New firings count like a refire did: on the incident and in the digest's totals.
local fired = counts.joined + counts.refired
if fired > 0 then
  redis.call('HINCRBY', key, 'fired_count', fired)
  stats_add(P, inc, now, 'alerts', fired)
end
-- The card's list: firing first in order of arrival, then the latest resolved.
local firing, resolved = redis.call('ZCARD', on), redis.call('ZCARD', off)
local top = {}
local function list(fps)
  for _, f in ipairs(fps) do
    local d = cjson.decode(redis.call('HGET', details, f))
    table.insert(top, {n = d.n, s = d.s, t = d.t, e = d.e})
  end
end
list(redis.call('ZRANGE', on, 0, listed - 1))
if #top < listed then list(redis.call('ZREVRANGE', off, 0, listed - #top - 1)) end
local hidden_before = (inc.am_not_shown or '') .. '/' .. (inc.am_truncated or '')
local hidden_changed = (not_shown + truncated > 0)
  and hidden_before ~= (not_shown .. '/' .. truncated)
redis.call('HSET', key, 'am_firing', firing, 'am_resolved', resolved, 'am_seen', now,
  'am_top', cjson.encode(top), 'am_not_shown', not_shown, 'am_truncated', truncated)

local data = {
  joined = said.joined, refired = said.refired, resolved = said.resolved,
  joined_n = counts.joined, refired_n = counts.refired, resolved_n = counts.resolved,
  firing = firing, resolved_total = resolved, closing = closing,
  not_shown = hidden_changed and not_shown or 0, truncated = hidden_changed and truncated or 0,
}
local ev
if created then
  ev = emit(key, timeline, KEYS[1], id, 'incident.triggered', actor, now,
    {severity = inc.severity, assignee = inc.assignee or ''})
  if hidden_changed then  -- said in the thread once the card is there
    emit(key, timeline, KEYS[1], id, 'incident.alerts_changed', actor, now, data)
  end
elseif fired + counts.resolved > 0 or hidden_changed then
  ev = emit(key, timeline, KEYS[1], id, 'incident.alerts_changed', actor, now, data)
else
  ev = emit(key, timeline, KEYS[1], id, 'incident.alerts_seen', actor, now,
    {firing = firing, resolved_total = resolved})
end
return {'ok', ev, id, created and 1 or 0, firing, resolved, unpack(actions)}
