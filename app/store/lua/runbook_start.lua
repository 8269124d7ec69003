-- Starts a runbook run on an incident once: a redelivered trigger finds the run.
-- KEYS: incident, timeline, events, runs hash, timers zset, timer hash (for a delayed start)
-- ARGV: now, run id, runbook name, step count, due (0: start now), timer id, if_status
local now, run_id, runbook, total = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local due, timer_id, if_status = tonumber(ARGV[5]), ARGV[6], ARGV[7]
local inc = load_incident(KEYS[1])
if not inc then return refuse('not_found') end
if redis.call('HEXISTS', KEYS[4], run_id) == 1 then return refuse('started') end
local run = {runbook = runbook, step = 0, total = total, status = 'running'}
if due > 0 then
  -- a timer trigger ("30 minutes after, if still open"): the scheduler resumes it
  run.status = 'waiting'
  redis.call('HSET', KEYS[4], run_id, cjson.encode(run))
  redis.call('ZADD', KEYS[5], due, timer_id)
  redis.call('HSET', KEYS[6], 'kind', 'runbook_resume', 'incident_id', inc.id, 'run', run_id,
    'step', '0', 'if_status', if_status, 'due', tostring(due))
  return {'ok', ''}
end
redis.call('HSET', KEYS[4], run_id, cjson.encode(run))
local ev = emit(KEYS[1], KEYS[2], KEYS[3], inc.id, 'incident.runbook_step', 'beacon', now,
  {run = run_id, runbook = runbook, step = 0})
return {'ok', ev}
