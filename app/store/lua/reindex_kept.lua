-- Fills a retention index of approvals or investigations from their hashes (the start-up
-- migration, app/store/migrations.py); ZADD makes a second run change nothing.
-- KEYS: index zset, then hashes   ARGV: the time field ('decided_at' or 'created_at')
local field = ARGV[1]
local done = 0
for i = 2, #KEYS do
  local obj = load_incident(KEYS[i])
  -- a pending approval has no decided_at: it joins the index when decided (approval_decide)
  if obj and obj.id and obj[field] and obj[field] ~= '' and obj.status ~= 'PENDING' then
    redis.call('ZADD', KEYS[1], tonumber(obj[field]), obj.id)
    done = done + 1
  end
end
return done
