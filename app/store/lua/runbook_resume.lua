-- A runbook timer is due: a `wait` is over, or a timer trigger fires. The step runs
-- only when the incident's status still matches if_status; otherwise the run is skipped.
-- KEYS: incident, timeline, events, runs hash, timers zset, this timer hash
-- ARGV: now, run id, step index, timer id, if_status (any | open | triggered | acknowledged |
-- resolved)
local now, run_id, step, timer_id, if_status = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4],
  ARGV[5]
redis.call('ZREM', KEYS[5], timer_id)
redis.call('DEL', KEYS[6])
local inc = load_incident(KEYS[1])
if not inc then return refuse('not_found') end
local raw = redis.call('HGET', KEYS[4], run_id)
if not raw then return refuse('no_run') end
local run = cjson.decode(raw)
if run.status ~= 'waiting' or tonumber(run.step) ~= step then
  return refuse('stale', run.status, tostring(run.step))
end
local status = string.lower(inc.status)
local fits = if_status == 'any' or if_status == status
  or (if_status == 'open' and status ~= 'resolved')
if not fits then
  run.status = 'skipped'
  redis.call('HSET', KEYS[4], run_id, cjson.encode(run))
  local ev = emit(KEYS[1], KEYS[2], KEYS[3], inc.id, 'incident.runbook_step_done', 'beacon', now,
    {run = run_id, runbook = run.runbook, step = step, skipped = true,
     text = 'Runbook ' .. run.runbook .. ' not run: the incident is ' .. status})
  return {'ok', ev}
end
run.status = 'running'
redis.call('HSET', KEYS[4], run_id, cjson.encode(run))
local ev = emit(KEYS[1], KEYS[2], KEYS[3], inc.id, 'incident.runbook_step', 'beacon', now,
  {run = run_id, runbook = run.runbook, step = step})
return {'ok', ev}
