-- Removes a workspace's bot, its installations (all, or one installer's), or both; tells every
-- instance when the bot went (its workspace is no longer served).
-- KEYS: bot, latest, installers set, index
-- ARGV: owner, what ('bot' | 'installations' | 'all'), installer id ('' = every one),
--       installer key prefix, pub/sub channel
local owner, what, user, user_prefix, channel = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
if what ~= 'bot' then
  if user ~= '' then
    redis.call('DEL', user_prefix .. user .. ':string')
    redis.call('SREM', KEYS[3], user)
  else
    for _, id in ipairs(redis.call('SMEMBERS', KEYS[3])) do
      redis.call('DEL', user_prefix .. id .. ':string')
    end
    redis.call('DEL', KEYS[2], KEYS[3])
  end
end
if what ~= 'installations' and redis.call('DEL', KEYS[1]) == 1 then
  redis.call('SREM', KEYS[4], owner)
  redis.call('PUBLISH', channel, '-' .. owner)
end
return 1
