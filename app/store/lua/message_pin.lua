-- Adds a Slack message to the incident timeline (a 📌 reaction), once per message.
-- KEYS: incident, timeline, events, pinned set
-- ARGV: now, actor (who reacted), channel, ts, author, text, permalink, thread ts
local now, actor, channel, ts = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local inc = load_incident(KEYS[1])
if not inc then return refuse('not_found') end
if redis.call('SADD', KEYS[4], channel .. ' ' .. ts) == 0 then return refuse('pinned') end
local ev = emit(KEYS[1], KEYS[2], KEYS[3], inc.id, 'incident.message_pinned', actor, now,
  {channel = channel, ts = ts, author = ARGV[5], text = ARGV[6], permalink = ARGV[7],
   thread_ts = ARGV[8]})
return {'ok', ev}
