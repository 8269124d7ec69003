-- KEYS: incident, timeline, events, timers zset, then one hash per SLA timer in ARGV[9]
-- ARGV: now, actor, severity, index prefix, esc_start, page_start, paging severities (',P1,P2,'),
-- epoch the SLA timers were built for, JSON list of the new severity's SLA timers
-- ({id, due, fields}, '' for none)
-- Paging follows the new severity's urgency: escalation stops (its armed timer finds no level
-- to move on from, so escalate.lua drops it as stale) or starts, and an unacknowledged incident
-- whose old severity paged nobody gets its first levels paged (the event says so).
local now, actor, sev, P = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local esc_start, page_start = tonumber(ARGV[5] or '0') or 0, tonumber(ARGV[6] or '0') or 0
local inc = load_incident(KEYS[1])
if not inc then return refuse('not_found') end
if inc.status == 'RESOLVED' then return refuse('resolved', inc.resolved_by, inc.resolved_at) end
if inc.severity == sev then return refuse('unchanged', sev) end
local sla = (ARGV[9] and ARGV[9] ~= '') and cjson.decode(ARGV[9]) or {}
if #sla > 0 and (inc.epoch or '') ~= (ARGV[8] or '') then return refuse('moved') end
redis.call('HSET', KEYS[1], 'severity', sev)
reindex(P, inc, KEYS[1])
stats_add(P, inc, now, 'sev:' .. inc.severity, -1)
stats_add(P, inc, now, 'sev:' .. sev, 1)
local data = {severity = sev, previous = inc.severity}
local escalating = inc.esc_level and inc.esc_level ~= ''
if esc_start == 0 and escalating then
  redis.call('HDEL', KEYS[1], 'esc_level', 'esc_round')
  data.escalation = 'stopped'
elseif esc_start > 0 and not escalating and inc.status == 'TRIGGERED' then
  redis.call('HSET', KEYS[1], 'esc_level', tostring(esc_start), 'esc_round', '0')
  data.escalation = 'started'
  data.esc_start = esc_start
end
local was_paging = string.find(ARGV[7] or '', ',' .. inc.severity .. ',', 1, true) ~= nil
if page_start > 0 and not was_paging and inc.status == 'TRIGGERED' then
  data.page = page_start
end
-- The SLA timers move to the new severity's deadlines (same ids: the card's deadline is the
-- enforced one). A deadline still ahead clears its breach, which fires again if it passes; a
-- passed one not yet breached fires at once; the ack SLA ends with the ack.
for i, t in ipairs(sla) do
  local flag = 'sla_' .. t.fields.sla .. '_breached'
  local due = tonumber(t.due)
  local applies = t.fields.sla ~= 'ack' or inc.status == 'TRIGGERED'
  local breached = inc[flag] == '1'
  redis.call('ZREM', KEYS[4], t.id)
  redis.call('DEL', KEYS[4 + i])
  if applies and breached and due > tonumber(now) then
    redis.call('HDEL', KEYS[1], flag)
    breached = false
  end
  if applies and not breached then
    redis.call('ZADD', KEYS[4], due, t.id)
    for k, v in pairs(t.fields) do redis.call('HSET', KEYS[4 + i], k, tostring(v)) end
    redis.call('HSET', KEYS[4 + i], 'due', tostring(due))
  end
end
local ev = emit(KEYS[1], KEYS[2], KEYS[3], inc.id, 'incident.severity_changed', actor, now, data)
return {'ok', ev}
