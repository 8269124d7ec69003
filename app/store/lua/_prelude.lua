-- Shared helpers, prepended to every transition script.
-- Convention: KEYS[1] incident hash, KEYS[2] timeline list, KEYS[3] events stream.
local function load_incident(key)
  local flat = redis.call('HGETALL', key)
  if #flat == 0 then return nil end
  local t = {}
  for i = 1, #flat, 2 do t[flat[i]] = flat[i + 1] end
  return t
end

-- Appends the event to the incident's timeline and to the outbox stream, in this script.
-- No MAXLEN: an entry leaves the stream only once every consumer group has acknowledged it
-- (app/store/outbox.py, trimmed by app/notifier/retention.py), so a slow or stopped notifier
-- never loses events.
local function emit(inc_key, timeline_key, stream_key, incident_id, etype, actor, now, data)
  local seq = redis.call('HINCRBY', inc_key, 'seq', 1)
  local event_id = incident_id .. '#' .. seq
  local data_json = cjson.encode(data)
  redis.call('RPUSH', timeline_key, cjson.encode({
    seq = seq, type = etype, actor = actor, at = tonumber(now), data = data
  }))
  redis.call('XADD', stream_key, '*',
    'event_id', event_id, 'type', etype, 'incident_id', incident_id,
    'seq', tostring(seq), 'actor', actor, 'at', now, 'data', data_json)
  return event_id
end

local function refuse(code, ...)
  return {'err', code, ...}
end
