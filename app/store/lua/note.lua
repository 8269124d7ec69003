-- KEYS: incident, timeline, events   ARGV: now, actor, text
local now, actor, text = ARGV[1], ARGV[2], ARGV[3]
local inc = load_incident(KEYS[1])
if not inc then return refuse('not_found') end
local ev = emit(KEYS[1], KEYS[2], KEYS[3], inc.id, 'incident.note_added', actor, now,
  {text = text})
return {'ok', ev}
