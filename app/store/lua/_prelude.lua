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

-- A refusal told by the script itself to whoever asked, so a refused click costs one round
-- trip: `answer` is their Answer without words (app/domain/answers.py, JSON), added to the
-- answers stream with the refusal beside it; the notifier words it when it delivers
-- (app/notifier/answers.py). No answer given: refused to the caller as usual.
local function refuse_to(stream, answer, subject, code, by, at)
  if not answer or answer == '' then return refuse(code, by, at) end
  redis.call('XADD', stream, '*', 'answer', answer, 'refused',
    cjson.encode({subject = subject, code = code, by = by or '', at = at or ''}))
  return {'told', code}
end

-- The redelivery guard, folded into a transition so a click is one round trip: `key` (a Slack
-- envelope's fingerprint key, keys.envelope) is set NX for `ttl` s; already set, the envelope
-- was handled before and the script must answer {'repeated'} and change nothing. Set before
-- any refusal too, as the middleware's own guard does: a redelivered refusal is not answered
-- twice.
local function repeated(key, ttl)
  if not key or key == '' then return false end
  return not redis.call('SET', key, '1', 'NX', 'EX', ttl)
end

-- Indexes and counters, changed by the same script that changes the incident, so a read never
-- has to load incidents to count or filter them. P is Keys.index_prefix(); the names built
-- here are Keys' methods of the same shape (tests/test_indexes.py checks they agree). Sets
-- are scored by the incident's number: a page cursor stays put while new incidents arrive.
local function ix(P, ...) return P .. table.concat({...}, ':') end

-- Takes the incident out of every index its state `inc` put it in. The per-service count
-- follows membership of the open set, so dropping twice (a redelivery) counts once.
local function index_drop(P, inc)
  local id = inc.id
  redis.call('ZREM', ix(P, 'incidents', 'resolved', 'zset'), id)
  redis.call('ZREM', ix(P, 'incidents', 'resolved_at', 'zset'), id)
  redis.call('ZREM', ix(P, 'incidents', 'acknowledged', 'zset'), id)
  redis.call('ZREM', ix(P, 'incidents', 'open', 'severity', inc.severity or '', 'zset'), id)
  if inc.assignee and inc.assignee ~= '' then
    redis.call('ZREM', ix(P, 'incidents', 'open', 'assignee', inc.assignee, 'zset'), id)
  end
  if redis.call('ZREM', ix(P, 'incidents', 'open', 'zset'), id) == 1 then
    local services = ix(P, 'incidents', 'open', 'services', 'hash')
    if redis.call('HINCRBY', services, inc.service or '', -1) <= 0 then
      redis.call('HDEL', services, inc.service or '')
    end
  end
end

-- Puts the incident in the indexes its state `inc` belongs to (after index_drop).
local function index_put(P, inc)
  local id, n = inc.id, tonumber(inc.number)
  redis.call('ZADD', ix(P, 'incidents', 'all', 'zset'), n, id)
  if inc.status == 'RESOLVED' then
    redis.call('ZADD', ix(P, 'incidents', 'resolved', 'zset'), n, id)
    redis.call('ZADD', ix(P, 'incidents', 'resolved_at', 'zset'), inc.resolved_at, id)
    return
  end
  if redis.call('ZADD', ix(P, 'incidents', 'open', 'zset'), n, id) == 1 then
    redis.call('HINCRBY', ix(P, 'incidents', 'open', 'services', 'hash'), inc.service or '', 1)
  end
  redis.call('ZADD', ix(P, 'incidents', 'open', 'severity', inc.severity, 'zset'), n, id)
  if inc.assignee and inc.assignee ~= '' then
    redis.call('ZADD', ix(P, 'incidents', 'open', 'assignee', inc.assignee, 'zset'), n, id)
  end
  if inc.status == 'ACKNOWLEDGED' then
    redis.call('ZADD', ix(P, 'incidents', 'acknowledged', 'zset'), n, id)
  end
end

-- Re-indexes after a change: `before` is the state the script loaded, the hash is the after.
local function reindex(P, before, inc_key)
  index_drop(P, before)
  index_put(P, load_incident(inc_key))
end

-- The digest's totals, per 15 minutes of the incidents' creation (a rolling 24 h window ends
-- on a quarter hour in every time zone): declared, alerts, sev:<s>, svc:<s>, ack_n, ack_sum,
-- res_n, res_sum. A bucket lives 3 days (the digest reads two); one too old is not written.
local STATS_BUCKET_S, STATS_TTL_S = 900, 3 * 86400
local function stats_add(P, inc, now, field, by)
  local bucket = math.floor(tonumber(inc.created_at) / STATS_BUCKET_S)
  local ttl = math.floor(bucket * STATS_BUCKET_S + STATS_TTL_S - tonumber(now))
  if ttl <= 0 then return end
  local key = ix(P, 'stats', string.format('%d', bucket), 'hash')
  if string.sub(field, -4) ~= '_sum' then
    redis.call('HINCRBY', key, field, by)
  else
    redis.call('HINCRBYFLOAT', key, field, by)
  end
  redis.call('EXPIRE', key, ttl)
end

local function svc_field(inc)
  if inc.service and inc.service ~= '' then return 'svc:' .. inc.service end
  return 'svc:'
end

-- Declares a new incident, numbered in the same script that decided to create it: a refused
-- or deduplicated declaration takes no number, so numbers stay contiguous under races. The
-- keys are Keys.incident_seq / incident / incident_timeline, built from P like the indexes.
-- `fields`: field/value pairs ('' values left out); `alerts`: firings it starts with.
-- Returns the incident's state (nil and the id when that id is somehow taken already).
local function create_incident(P, now, actor, fields, alerts)
  local number = redis.call('INCR', ix(P, 'incident', 'seq', 'counter'))
  local id = 'INC-' .. number
  local key = ix(P, 'incident', id, 'hash')
  if redis.call('EXISTS', key) == 1 then return nil, id end
  local set = {}
  for i = 1, #fields, 2 do
    if fields[i + 1] ~= '' then
      table.insert(set, fields[i]); table.insert(set, fields[i + 1])
    end
  end
  redis.call('HSET', key, 'id', id, 'number', number, 'status', 'TRIGGERED', 'created_at', now,
    'reporter', actor, 'seq', 0, unpack(set))
  if alerts > 1 then redis.call('HSET', key, 'fired_count', alerts) end
  local inc = load_incident(key)
  index_put(P, inc)
  stats_add(P, inc, now, 'declared', 1)
  stats_add(P, inc, now, 'alerts', alerts)
  stats_add(P, inc, now, 'sev:' .. inc.severity, 1)
  stats_add(P, inc, now, svc_field(inc), 1)
  return inc, key, ix(P, 'incident', id, 'timeline', 'list')
end
