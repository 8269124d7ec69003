-- KEYS: incident, timeline, events   ARGV: now, actor, stage, text, confidence ('' = none)
local now, actor, stage, text, confidence = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local inc = load_incident(KEYS[1])
if not inc then return refuse('not_found') end
local data = {stage = stage, text = text}
if confidence ~= '' then data.confidence = tonumber(confidence) end
local ev = emit(KEYS[1], KEYS[2], KEYS[3], inc.id, 'incident.investigation', actor, now, data)
return {'ok', ev}
