-- "Retry step" on a failed runbook step: runs that step again. Two clicks at once:
-- the first wins, the second is told the step is no longer failed.
-- KEYS: incident, timeline, events, runs hash   ARGV: now, run id, step index, actor
local now, run_id, step, actor = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local inc = load_incident(KEYS[1])
if not inc then return refuse('not_found') end
local raw = redis.call('HGET', KEYS[4], run_id)
if not raw then return refuse('no_run') end
local run = cjson.decode(raw)
if run.status ~= 'failed' or tonumber(run.step) ~= step then
  return refuse('not_failed', run.status, tostring(run.step))
end
run.status = 'running'
redis.call('HSET', KEYS[4], run_id, cjson.encode(run))
local ev = emit(KEYS[1], KEYS[2], KEYS[3], inc.id, 'incident.runbook_step', actor, now,
  {run = run_id, runbook = run.runbook, step = step, retry = true})
return {'ok', ev}
