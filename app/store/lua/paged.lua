-- Records in the timeline who was paged, at which level, for one event (the trigger, an
-- escalation, a reopen, a severity raised, a snooze's end): an `incident.paged` event.
-- KEYS: incident, timeline, events   ARGV: now, cause seq, pages JSON [[user, level], ...], why
-- The notifier may apply the cause again after a crash: `paged_upto` (the last cause recorded;
-- an incident's events are applied in order) keeps it to one record.
local now, cause = ARGV[1], tonumber(ARGV[2])
local inc = load_incident(KEYS[1])
if not inc then return refuse('not_found') end
if tonumber(inc.paged_upto or '0') >= cause then return refuse('recorded') end
redis.call('HSET', KEYS[1], 'paged_upto', ARGV[2])
local pages = {}
for i, pair in ipairs(cjson.decode(ARGV[3])) do
  pages[i] = {user = pair[1], level = pair[2]}
end
local ev = emit(KEYS[1], KEYS[2], KEYS[3], inc.id, 'incident.paged', 'beacon', now,
  {pages = pages, cause = cause, why = ARGV[4]})
return {'ok', ev}
