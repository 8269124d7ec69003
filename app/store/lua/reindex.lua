-- Builds the indexes and the digest's totals for existing incidents (the start-up migration,
-- app/store/migrations.py), with the helpers every transition uses, so both agree.
-- KEYS: incident hashes   ARGV: now, index prefix
-- Run after the counters were cleared: the sets are idempotent, the totals are not.
local now, P = ARGV[1], ARGV[2]
local done = 0
for _, key in ipairs(KEYS) do
  local inc = load_incident(key)
  if inc and inc.id and inc.number then
    index_drop(P, inc)
    index_put(P, inc)
    local created = tonumber(inc.created_at)
    stats_add(P, inc, now, 'declared', 1)
    stats_add(P, inc, now, 'alerts', math.max(1, tonumber(inc.fired_count or '1')))
    stats_add(P, inc, now, 'sev:' .. inc.severity, 1)
    stats_add(P, inc, now, svc_field(inc), 1)
    if inc.acknowledged_at and inc.acknowledged_at ~= '' then
      stats_add(P, inc, now, 'ack_n', 1)
      stats_add(P, inc, now, 'ack_sum', tonumber(inc.acknowledged_at) - created)
    end
    if inc.status == 'RESOLVED' and inc.resolved_at then
      stats_add(P, inc, now, 'res_n', 1)
      stats_add(P, inc, now, 'res_sum', tonumber(inc.resolved_at) - created)
    end
    done = done + 1
  end
end
return done
