-- Reopens a resolved incident.
-- KEYS: incident, timeline, events, open zset, messages hash, notified string, pinned set
-- ARGV: now, actor, escalation start level (0: no escalation policy), index prefix
-- With a policy the incident must be acknowledged again, so it goes back to TRIGGERED and its
-- escalation restarts; `epoch` (the reopen event's seq) makes timers armed before the resolve
-- stale, so a late one cannot fire into the new round.
local now, actor, esc_start = ARGV[1], ARGV[2], tonumber(ARGV[3] or '0') or 0
local P = ARGV[4]
local inc = load_incident(KEYS[1])
if not inc then return refuse('not_found') end
if inc.status ~= 'RESOLVED' then return refuse('not_resolved', inc.status) end
local status = 'TRIGGERED'
if esc_start == 0 and inc.acknowledged_at and inc.acknowledged_at ~= '' then
  status = 'ACKNOWLEDGED'
end
-- the SLA timers restart from here (on_reopened arms them from the reopen): the card reads it
redis.call('HSET', KEYS[1], 'status', status, 'reopened_at', now)
redis.call('HDEL', KEYS[1], 'resolved_by', 'resolved_at', 'resolution_note',
  'sla_resolve_breached', 'esc_done')
if esc_start > 0 then
  redis.call('HSET', KEYS[1], 'esc_level', tostring(esc_start), 'esc_round', '0')
end
-- needs acknowledging again: its time to acknowledge starts over too
if status == 'TRIGGERED' then redis.call('HDEL', KEYS[1], 'sla_ack_breached') end
reindex(P, inc, KEYS[1])  -- back in the open set (KEYS[4]) and its kin
for i = 5, 7 do redis.call('PERSIST', KEYS[i]) end  -- its card and DMs are updated again
-- the resolve no longer counts towards the time to resolve; the next one will
stats_add(P, inc, now, 'res_n', -1)
stats_add(P, inc, now, 'res_sum', tonumber(inc.created_at) - tonumber(inc.resolved_at))
local ev = emit(KEYS[1], KEYS[2], KEYS[3], inc.id, 'incident.reopened', actor, now,
  {resolved_by = inc.resolved_by or '', resolved_at = tonumber(inc.resolved_at),
   esc_start = esc_start})
redis.call('HSET', KEYS[1], 'epoch', redis.call('HGET', KEYS[1], 'seq'))
return {'ok', ev}
