-- A runbook step failed: the run stops there until someone retries the step.
-- KEYS: incident, timeline, events, runs hash
-- ARGV: now, run id, step index, step type, error (Slack's code or Beacon's reason)
local now, run_id, step, step_type, err = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5]
local inc = load_incident(KEYS[1])
if not inc then return refuse('not_found') end
local raw = redis.call('HGET', KEYS[4], run_id)
if not raw then return refuse('no_run') end
local run = cjson.decode(raw)
if run.status ~= 'running' or tonumber(run.step) ~= step then
  return refuse('stale', run.status, tostring(run.step))
end
run.status = 'failed'
redis.call('HSET', KEYS[4], run_id, cjson.encode(run))
local ev = emit(KEYS[1], KEYS[2], KEYS[3], inc.id, 'incident.runbook_step_failed', 'beacon', now,
  {run = run_id, runbook = run.runbook, step = step, step_type = step_type, error = err,
   text = 'Runbook ' .. run.runbook .. ' stopped at step ' .. (step + 1) .. ' (' .. step_type
     .. '): ' .. err})
return {'ok', ev}
