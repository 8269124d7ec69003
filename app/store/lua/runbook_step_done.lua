-- A runbook step finished: its result goes in the timeline, then the next step is
-- emitted, or armed as a timer after a `wait` (delay > 0), or the run is done.
-- KEYS: incident, timeline, events, runs hash, timers zset, next timer hash
-- ARGV: now, run id, step index, result text, delay seconds, next timer id, step type, outcome
-- (the last two let the timeline say "step 2 (send_message) done" in plain words)
local now, run_id, step, result = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local delay, timer_id = tonumber(ARGV[5]), ARGV[6]
local step_type, outcome = ARGV[7] or '', ARGV[8] or ''
local inc = load_incident(KEYS[1])
if not inc then return refuse('not_found') end
local raw = redis.call('HGET', KEYS[4], run_id)
if not raw then return refuse('no_run') end
local run = cjson.decode(raw)
-- a redelivered step event finds the run already moved on
if run.status ~= 'running' or tonumber(run.step) ~= step then
  return refuse('stale', run.status, tostring(run.step))
end
local ev = emit(KEYS[1], KEYS[2], KEYS[3], inc.id, 'incident.runbook_step_done', 'beacon', now,
  {run = run_id, runbook = run.runbook, step = step, text = result, step_type = step_type,
   outcome = outcome})
run.step = step + 1
if run.step >= tonumber(run.total) then
  run.status = 'done'
elseif delay > 0 then
  run.status = 'waiting'
  local due = tonumber(now) + delay
  redis.call('ZADD', KEYS[5], due, timer_id)
  redis.call('HSET', KEYS[6], 'kind', 'runbook_resume', 'incident_id', inc.id, 'run', run_id,
    'step', tostring(run.step), 'if_status', 'any', 'due', tostring(due))
else
  emit(KEYS[1], KEYS[2], KEYS[3], inc.id, 'incident.runbook_step', 'beacon', now,
    {run = run_id, runbook = run.runbook, step = run.step})
end
redis.call('HSET', KEYS[4], run_id, cjson.encode(run))
return {'ok', ev}
