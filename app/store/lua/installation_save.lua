-- Saves a workspace's installation: its bot, its latest installation, the installer's own, and
-- the index of installed workspaces; tells every instance when a bot was saved.
-- KEYS: bot, latest, installer (or latest again), installers set, index
-- ARGV: owner, sealed bot ('' none), sealed installation ('' none), installer id ('' none),
--       pub/sub channel
local owner, bot, inst, user, channel = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
if inst ~= '' then
  redis.call('SET', KEYS[2], inst)
  if user ~= '' then
    redis.call('SET', KEYS[3], inst)
    redis.call('SADD', KEYS[4], user)
  end
end
if bot ~= '' then
  redis.call('SET', KEYS[1], bot)
  redis.call('SADD', KEYS[5], owner)
  redis.call('PUBLISH', channel, '+' .. owner)
end
return 1
