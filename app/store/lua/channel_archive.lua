-- A due archive timer of an incident channel: warn first, then archive, and
-- neither when the incident was reopened since the resolve that armed the timer.
-- KEYS: incident, timeline, events, timers zset, this timer hash
-- ARGV: now, timer id, stage ('warn' or 'archive'), resolved_at the timer was armed for
local now, timer_id, stage, armed_for = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
redis.call('ZREM', KEYS[4], timer_id)
redis.call('DEL', KEYS[5])
local inc = load_incident(KEYS[1])
if not inc then return refuse('not_found') end
if inc.status ~= 'RESOLVED' or tonumber(inc.resolved_at) ~= tonumber(armed_for) then
  return refuse('reopened')
end
if not inc.incident_channel or inc.incident_channel == '' then return refuse('no_channel') end
local etype = 'incident.channel_archive_warning'
if stage == 'archive' then etype = 'incident.channel_archived' end
local ev = emit(KEYS[1], KEYS[2], KEYS[3], inc.id, etype, 'beacon', now,
  {channel = inc.incident_channel})
return {'ok', ev}
