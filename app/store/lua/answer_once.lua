-- An answer that stands for one of an incident's messages (the declare confirmation), queued
-- once: a replayed event finds the role recorded and queues nothing.
-- KEYS: the incident's messages hash, the answers stream
-- ARGV: role, what to record under it, the answer (JSON)
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 0 end
redis.call('XADD', KEYS[2], '*', 'answer', ARGV[3])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
