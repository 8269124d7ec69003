-- Records the retrospective (date, owner, notes); scheduling again replaces it.
-- KEYS: incident, timeline, events   ARGV: now, actor, date (YYYY-MM-DD), owner, notes
local now, actor, date, owner, notes = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local inc = load_incident(KEYS[1])
if not inc then return refuse('not_found') end
redis.call('HSET', KEYS[1], 'retro_date', date, 'retro_owner', owner, 'retro_notes', notes)
local ev = emit(KEYS[1], KEYS[2], KEYS[3], inc.id, 'incident.retro_scheduled', actor, now,
  {date = date, owner = owner, notes = notes, previous_date = inc.retro_date or ''})
return {'ok', ev}
