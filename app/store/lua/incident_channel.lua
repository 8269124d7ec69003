-- Records the incident's dedicated channel once; a second channel never replaces the first.
-- KEYS: incident, messages hash[, channel -> incident string]   ARGV: channel id
-- Returns the channel id now recorded (the earlier one if there was one), '' if no incident.
if redis.call('EXISTS', KEYS[1]) == 0 then return '' end
local current = redis.call('HGET', KEYS[1], 'incident_channel')
if current and current ~= '' then return current end
redis.call('HSET', KEYS[1], 'incident_channel', ARGV[1])
redis.call('HSET', KEYS[2], 'incident_channel', ARGV[1] .. ' -')
if KEYS[3] then  -- find the incident from its channel (/incident role, reactions)
  redis.call('SET', KEYS[3], redis.call('HGET', KEYS[1], 'id'))
end
return ARGV[1]
