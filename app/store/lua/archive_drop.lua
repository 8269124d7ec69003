-- Drops archive entries past `retention.archive_days`, oldest first.
-- KEYS: archived_at zset, then the archive hash of each id (same order as ARGV)
-- ARGV: the ids
for i, id in ipairs(ARGV) do
  redis.call('HDEL', KEYS[i + 1], id)
  redis.call('ZREM', KEYS[1], id)
end
return #ARGV
