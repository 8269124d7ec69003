-- Records where a Slack message for an incident lives. KEYS: incident, messages hash
-- ARGV: role, channel, ts, [card: 1 when this is the card, permalink]
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2] .. ' ' .. ARGV[3])
if ARGV[4] == '1' then
  redis.call('HSET', KEYS[1], 'channel', ARGV[2], 'card_ts', ARGV[3])
  if ARGV[5] and ARGV[5] ~= '' then redis.call('HSET', KEYS[1], 'permalink', ARGV[5]) end
end
return 1
