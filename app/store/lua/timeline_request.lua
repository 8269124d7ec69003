-- Asks the notifier to upload the timeline as a file, so the upload goes through
-- the outbox like every other Slack side effect. KEYS: incident, timeline, events
-- ARGV: now, actor, channel the command came from
local inc = load_incident(KEYS[1])
if not inc then return refuse('not_found') end
local ev = emit(KEYS[1], KEYS[2], KEYS[3], inc.id, 'incident.timeline_requested', ARGV[2],
  ARGV[1], {channel = ARGV[3]})
return {'ok', ev}
