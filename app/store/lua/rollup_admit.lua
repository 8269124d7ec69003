-- Decides whether a new incident's card goes to its channel or onto the channel's storm rollup,
-- and puts it on the rollup when so. KEYS: arrivals zset, current rollup hash
-- ARGV: now, incident id, window s, threshold, settle s, cards waiting, max items, new rid,
--       rollup key prefix
-- Returns {'card'} or {'rollup', rid, storm, new message (1/0), started}.
local now, id = tonumber(ARGV[1]), ARGV[2]
local window, threshold, settle = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local waiting, max_items, new_rid, prefix = tonumber(ARGV[6]), tonumber(ARGV[7]), ARGV[8], ARGV[9]
redis.call('ZADD', KEYS[1], now, id)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000) + 60000)
local arrived = redis.call('ZCARD', KEYS[1])
local cur = load_incident(KEYS[2])
local active = cur and (now - tonumber(cur.last_at)) < settle
if not active and arrived <= threshold and waiting <= threshold then return {'card'} end
local fresh = 0
if not active then
  cur = {rid = new_rid, storm = new_rid, started = tostring(now), count = '0'}
  fresh = 1
elseif tonumber(cur.count) >= max_items then
  cur.rid = new_rid  -- the same storm continues on a new message
  cur.count = '0'
  fresh = 1
end
redis.call('RPUSH', prefix .. cur.rid .. ':items:list', id)
redis.call('HSET', KEYS[2], 'rid', cur.rid, 'storm', cur.storm, 'started', cur.started,
  'count', tonumber(cur.count) + 1, 'last_at', tostring(now))
if fresh == 1 then
  redis.call('HSET', prefix .. cur.rid .. ':hash', 'storm', cur.storm, 'started', cur.started,
    'channel_key', KEYS[2])
end
return {'rollup', cur.rid, cur.storm, fresh, cur.started}
